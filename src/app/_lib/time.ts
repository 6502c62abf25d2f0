// Dates as people read them: "in 3 days", "5 min ago", "expires in 12 min". Pure, so tests pin `now`.
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A duration in its largest sensible unit: "45 s", "12 min", "3 h 20 min", "6 days". */
export function formatDuration(ms: number): string {
  const abs = Math.max(0, ms);
  if (abs < MIN) return `${Math.floor(abs / 1000)} s`;
  if (abs < HOUR) return `${Math.floor(abs / MIN)} min`;
  if (abs < DAY) {
    const h = Math.floor(abs / HOUR);
    const m = Math.floor((abs % HOUR) / MIN);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(abs / DAY);
  const h = Math.floor((abs % DAY) / HOUR);
  if (d >= 3 || h === 0) return `${d} day${d === 1 ? '' : 's'}`;
  return `${d} day${d === 1 ? '' : 's'} ${h} h`;
}

/** "5 min ago" for a past instant ("just now" under 10 s). */
export function formatAge(at: Date, now: Date): string {
  const ms = now.getTime() - at.getTime();
  if (ms < 10_000) return 'just now';
  return `${formatDuration(ms)} ago`;
}

/** "in 3 days" for a future instant, "ended 2 h ago" for a past one. */
export function formatRelative(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

/** "Expires in 12 min" / "Expired" for something that lives `ttlMs` after `from`. */
export function formatExpiry(from: Date, ttlMs: number, now: Date): { label: string; expired: boolean; soon: boolean } {
  const left = from.getTime() + ttlMs - now.getTime();
  if (left <= 0) return { label: 'Expired', expired: true, soon: false };
  return { label: `Expires in ${formatDuration(left)}`, expired: false, soon: left < Math.min(ttlMs / 4, 10 * MIN) };
}

/** A calendar date in the reader's locale, e.g. "12 Mar 2027". */
export function formatDate(d: Date): string {
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

export function formatDateTime(d: Date): string {
  return d.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}
