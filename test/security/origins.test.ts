import { describe, expect, it } from 'vitest';
import { trustedOrigins } from '@/server/origins';

describe('trusted origins', () => {
  it('are the loopback aliases of the printed URL in development', () => {
    expect(trustedOrigins({ appUrl: 'http://localhost:3000', isProduction: false })).toEqual([
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
    ]);
  });

  it('are APP_URL only in production, even on a loopback host', () => {
    expect(trustedOrigins({ appUrl: 'https://claw.example.com', isProduction: true })).toEqual([
      'https://claw.example.com',
    ]);
    expect(trustedOrigins({ appUrl: 'http://localhost:3000', isProduction: true })).toEqual(['http://localhost:3000']);
  });

  it('are APP_URL only for a real host name in development too', () => {
    expect(trustedOrigins({ appUrl: 'http://dev.example.com:8080', isProduction: false })).toEqual([
      'http://dev.example.com:8080',
    ]);
  });
});
