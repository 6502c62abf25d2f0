// The bearer token of one instance's controller: HMAC-SHA256(server secret, instance id), hex.
// The app derives it on demand; the machine receives it in CONTROLLER_TOKEN.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function controllerToken(secret: string, instanceId: string): string {
  if (!secret) throw new Error('controllerToken: the server secret is empty');
  if (!instanceId) throw new Error('controllerToken: the instance id is empty');
  return createHmac('sha256', secret).update(instanceId).digest('hex');
}

/** Constant-time comparison of two tokens (lengths may differ without leaking where they differ). */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Compare against itself when lengths differ so the work done does not depend on the content.
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
