import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@/platform/logger';

const TOKEN = '123456789:AAFakeTokenForTesting_abcdefghijklmn';

describe('the app log and channel tokens', () => {
  it('redacts credentials and bot/app tokens wherever a log call puts them', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    logger.info({ credentials: { token: TOKEN } }, 'a');
    logger.info({ input: { channel: 'telegram', credentials: { token: TOKEN } } }, 'b');
    logger.info({ req: { body: { credentials: { botToken: TOKEN } } } }, 'c');
    logger.info({ botToken: TOKEN, slack: { appToken: TOKEN, botToken: TOKEN } }, 'd');
    logger.info({ channel: { token: TOKEN } }, 'e');
    expect(lines).toHaveLength(5);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.join('')).toContain('[redacted]');
  });
});
