// A message box. Errors are announced at once (role=alert); other news politely (role=status).
import type { ReactNode } from 'react';

export type Tone = 'info' | 'success' | 'warning' | 'error';

export function Notice({ tone, title, children }: { tone: Tone; title?: string; children?: ReactNode }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {title ? <p className="notice-title">{title}</p> : null}
      {children}
    </div>
  );
}
