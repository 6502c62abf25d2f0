// Channel credentials at rest: AES-256-GCM (node:crypto) under the newest key of CHANNEL_TOKEN_KEYS,
// bound to the row it belongs to (instance id + channel as associated data, so a ciphertext copied to
// another row does not decrypt). Stored as `<key id>.<iv>.<tag>.<ciphertext>` (base64url); any listed
// key decrypts, so keys rotate by putting a new one first and re-encrypting at leisure.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ChannelCredentials } from '@/contracts/channel-input';
import type { ChannelTokenKey } from '@/platform/config';

const IV_BYTES = 12; // the GCM standard nonce size
const TAG_BYTES = 16;

/** The stored value could not be decrypted (unknown key id, tampered, or another row's). Never says more. */
export class CredentialsUnreadable extends Error {
  constructor(readonly keyId: string | null) {
    super(`channel credentials could not be decrypted${keyId ? ` (key id ${keyId})` : ''}`);
    this.name = 'CredentialsUnreadable';
  }
}

export type TokenCipher = ReturnType<typeof createTokenCipher>;

export function createTokenCipher(keys: readonly ChannelTokenKey[]) {
  const newest = keys[0];
  if (!newest) throw new Error('CHANNEL_TOKEN_KEYS holds no key');
  const aad = (instanceId: string, channel: string) => Buffer.from(`${instanceId}/${channel}`, 'utf8');

  return {
    /** The id of the key new values are encrypted with. */
    currentKeyId: newest.id,

    encrypt(instanceId: string, channel: string, credentials: ChannelCredentials): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', newest.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(instanceId, channel));
      const body = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
      return [newest.id, iv, cipher.getAuthTag(), body]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },

    decrypt(instanceId: string, channel: string, stored: string): ChannelCredentials {
      const [keyId, iv, tag, body, extra] = stored.split('.');
      const key = keys.find((k) => k.id === keyId)?.key;
      if (!key || !iv || !tag || body === undefined || extra !== undefined)
        throw new CredentialsUnreadable(keyId ?? null);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(aad(instanceId, channel));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
        return JSON.parse(text) as ChannelCredentials;
      } catch {
        throw new CredentialsUnreadable(keyId ?? null);
      }
    },

    /** True when `stored` was encrypted with an older key (re-encrypt it on the next write). */
    isStale: (stored: string) => !stored.startsWith(`${newest.id}.`),
  };
}
