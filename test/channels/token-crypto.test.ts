import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CredentialsUnreadable, createTokenCipher } from '@/instances/channels/token-crypto';
import { loadConfig } from '@/platform/config';

const key = (id: string) => ({ id, key: randomBytes(32) });
const INSTANCE = '3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b';
const TOKEN = { token: '123456789:AAFakeTokenForTesting_abcdefghijklmn' };

describe('channel token encryption (AES-256-GCM, rotating keys)', () => {
  it('round-trips credentials and never stores them in the clear', () => {
    const cipher = createTokenCipher([key('k1')]);
    const sealed = cipher.encrypt(INSTANCE, 'telegram', TOKEN);
    expect(sealed).not.toContain(TOKEN.token);
    expect(sealed.split('.')).toHaveLength(4);
    expect(sealed.startsWith('k1.')).toBe(true);
    expect(cipher.decrypt(INSTANCE, 'telegram', sealed)).toEqual(TOKEN);
  });

  it('uses a fresh nonce each time', () => {
    const cipher = createTokenCipher([key('k1')]);
    expect(cipher.encrypt(INSTANCE, 'telegram', TOKEN)).not.toBe(cipher.encrypt(INSTANCE, 'telegram', TOKEN));
  });

  it('after rotation encrypts with the newest key and still decrypts what the old key sealed', () => {
    const old = key('k1');
    const sealedBefore = createTokenCipher([old]).encrypt(INSTANCE, 'discord', TOKEN);
    const rotated = createTokenCipher([key('k2'), old]);
    expect(rotated.decrypt(INSTANCE, 'discord', sealedBefore)).toEqual(TOKEN);
    expect(rotated.isStale(sealedBefore)).toBe(true);
    const sealedAfter = rotated.encrypt(INSTANCE, 'discord', TOKEN);
    expect(sealedAfter.startsWith('k2.')).toBe(true);
    expect(rotated.isStale(sealedAfter)).toBe(false);
  });

  it('refuses a value whose key was dropped, that was tampered with, or that belongs to another row', () => {
    const k1 = key('k1');
    const sealed = createTokenCipher([k1]).encrypt(INSTANCE, 'telegram', TOKEN);
    expect(() => createTokenCipher([key('k2')]).decrypt(INSTANCE, 'telegram', sealed)).toThrow(CredentialsUnreadable);
    const cipher = createTokenCipher([k1]);
    const parts = sealed.split('.');
    parts[3] = `${parts[3]!.slice(0, -2)}AA`;
    expect(() => cipher.decrypt(INSTANCE, 'telegram', parts.join('.'))).toThrow(CredentialsUnreadable);
    expect(() => cipher.decrypt(INSTANCE, 'slack', sealed)).toThrow(CredentialsUnreadable);
    expect(() => cipher.decrypt('another-instance', 'telegram', sealed)).toThrow(CredentialsUnreadable);
    expect(() => cipher.decrypt(INSTANCE, 'telegram', 'garbage')).toThrow(CredentialsUnreadable);
  });

  it('never puts the token in its error message', () => {
    const sealed = createTokenCipher([key('k1')]).encrypt(INSTANCE, 'telegram', TOKEN);
    try {
      createTokenCipher([key('k1')]).decrypt(INSTANCE, 'telegram', sealed);
      expect.unreachable();
    } catch (err) {
      expect(String(err)).not.toContain(TOKEN.token);
      expect(String(err)).toMatch(/key id k1/);
    }
  });
});

describe('CHANNEL_TOKEN_KEYS', () => {
  const b64 = () => randomBytes(32).toString('base64');

  it('parses a key ring, newest first', () => {
    const keys = loadConfig({ CHANNEL_TOKEN_KEYS: `k2:${b64()}, k1:${b64()}` }).CHANNEL_TOKEN_KEYS!;
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[0]!.key).toHaveLength(32);
  });

  it.each([
    ['no id', b64()],
    ['a short key', `k1:${randomBytes(16).toString('base64')}`],
    ['a repeated id', `k1:${b64()},k1:${b64()}`],
  ])('refuses %s with a message naming the variable', (_what, value) => {
    expect(() => loadConfig({ CHANNEL_TOKEN_KEYS: value })).toThrow(/CHANNEL_TOKEN_KEYS/);
  });

  it('is required in production', () => {
    expect(() => loadConfig({ APP_ENV: 'production' })).toThrow(/CHANNEL_TOKEN_KEYS: required when APP_ENV=production/);
  });
});
