// The bearer token of one instance's controller: HMAC-SHA256(server secret, instance id), hex.
// The app derives it on demand; a machine receives only its sha256 (CONTROLLER_TOKEN_SHA256), so
// whoever can read a machine's config (the Fly Machines API returns env verbatim) cannot call it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function controllerToken(secret: string, instanceId: string): string {
  if (!secret) throw new Error('controllerToken: the server secret is empty');
  if (!instanceId) throw new Error('controllerToken: the instance id is empty');
  return createHmac('sha256', secret).update(instanceId).digest('hex');
}

/**
 * A short public name of a server secret (8 hex digits of a hash of it): which key a machine's token
 * was made with, recorded in the machine's metadata, so a rotation knows which machines still carry
 * the previous one. It identifies the key without revealing anything usable about it.
 */
export function controllerKeyId(secret: string): string {
  if (!secret) throw new Error('controllerKeyId: the server secret is empty');
  return createHash('sha256').update(`kiloclaw controller key id\0${secret}`).digest('hex').slice(0, 8);
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

/** What a machine keeps to check its bearer token: sha256 of the token, hex. */
export function controllerTokenVerifier(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `presented` hashes to `verifier` (constant time). */
export function tokenMatchesVerifier(presented: string, verifier: string): boolean {
  return tokensEqual(controllerTokenVerifier(presented), verifier.toLowerCase());
}
