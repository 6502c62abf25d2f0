import type { ReactNode } from 'react';
import { Providers } from './_lib/providers';
import './globals.css';

export const metadata = { title: 'KiloClaw', description: 'Your hosted AI assistant' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
