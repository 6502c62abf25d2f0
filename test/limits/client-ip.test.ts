// The one rule for "who is calling": a configured header or the socket, never a guess.
import { describe, expect, it } from 'vitest';
import { clientIp, SOCKET_ADDRESS_HEADER } from '@/server/http/client-ip';

const h = (entries: Record<string, string>) => new Headers(entries);

describe('clientIp', () => {
  it('uses the socket address when no proxy header is configured, whatever the client claims', () => {
    const headers = h({ [SOCKET_ADDRESS_HEADER]: '::ffff:192.0.2.10', 'x-forwarded-for': '203.0.113.5' });
    expect(clientIp(headers, undefined)).toBe('192.0.2.10');
  });

  it('reads the configured header, taking the last entry of a list (the address the proxy saw)', () => {
    expect(clientIp(h({ 'x-forwarded-for': '203.0.113.5, 198.51.100.2' }), 'x-forwarded-for')).toBe('198.51.100.2');
    expect(clientIp(h({ 'fly-client-ip': '2001:db8::1' }), 'fly-client-ip')).toBe('2001:db8::1');
  });

  it('has no address rather than a wrong one when the header is missing or not an IP', () => {
    expect(clientIp(h({ [SOCKET_ADDRESS_HEADER]: '192.0.2.10' }), 'fly-client-ip')).toBeNull();
    expect(clientIp(h({ 'fly-client-ip': 'localhost' }), 'fly-client-ip')).toBeNull();
    expect(clientIp(h({}), undefined)).toBeNull();
  });
});
