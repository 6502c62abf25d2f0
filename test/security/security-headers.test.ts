// The header set next.config.js gives every page and API response (checked on the running system by
// test/e2e/start.e2e.int.test.ts; here both modes).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

type Header = { key: string; value: string };
const configUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../next.config.js')).href;
const { securityHeaders } = (await import(configUrl)) as { securityHeaders: (production: boolean) => Header[] };
const asMap = (h: Header[]) => Object.fromEntries(h.map((x) => [x.key.toLowerCase(), x.value]));

describe('security headers', () => {
  it('forbid framing, sniffing and cross-site referrers in every mode', () => {
    for (const production of [false, true]) {
      const h = asMap(securityHeaders(production));
      expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(h['content-security-policy']).toContain("object-src 'none'");
      expect(h['content-security-policy']).toContain("connect-src 'self'");
      expect(h['x-content-type-options']).toBe('nosniff');
      expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
    }
  });

  it('pin HTTPS (HSTS, upgrade-insecure-requests) in production only', () => {
    const prod = asMap(securityHeaders(true));
    expect(prod['strict-transport-security']).toMatch(/^max-age=\d{7,}/);
    expect(prod['content-security-policy']).toContain('upgrade-insecure-requests');
    const dev = asMap(securityHeaders(false));
    expect(dev['strict-transport-security']).toBeUndefined();
    expect(dev['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});
