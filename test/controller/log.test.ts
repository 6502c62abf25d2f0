import { describe, expect, it } from 'vitest';
import { createLogger } from '@/controller/log';

const capture = (secrets: string[] = []) => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ write: (l) => lines.push(JSON.parse(l)), secrets, now: () => 0 });
  return { log, lines };
};

describe('the controller logger', () => {
  it('takes fields first and the message last, as pino does', () => {
    const { log, lines } = capture();
    log.info({ pid: 7 }, 'gateway started');
    log.warn('no fields');
    expect(lines).toEqual([
      { time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'gateway started', pid: 7 },
      { time: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'no fields' },
    ]);
  });

  it('scrubs known secrets from every field', () => {
    const { log, lines } = capture(['s3cr3t-token']);
    log.error({ error: new Error('bad token s3cr3t-token') }, 'request failed');
    expect(JSON.stringify(lines)).not.toContain('s3cr3t-token');
    expect(lines[0]).toMatchObject({ msg: 'request failed', error: { message: 'bad token [redacted]' } });
  });
});
