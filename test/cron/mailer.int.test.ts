// The mail transport: real SMTP to the loopback sink, the log in development, and timeouts.

import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/platform/logger';
import { createMailer, createSmtpMailer } from '@/platform/mailer';
import { testConfig } from '../harness/app';
import { quietLogger } from '../harness/cron-fixtures';
import { type SmtpSink, startSmtpSink } from '../harness/smtp-sink';

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => sink?.close());

const message = { to: 'ada@example.test', subject: 'Hello Ada', text: 'Plain words.\n', html: '<p>Plain words.</p>' };

describe('the mail transport', () => {
  it('sends over SMTP when SMTP_URL is set: text and HTML, from MAIL_FROM', async () => {
    const mailer = createMailer(
      testConfig({ SMTP_URL: sink.url, MAIL_FROM: 'KiloClaw <billing@kiloclaw.test>' }),
      quietLogger(),
    );
    try {
      await mailer.send(message);
    } finally {
      await mailer.close();
    }
    const [got] = sink.to('ada@example.test');
    expect(got?.subject).toBe('Hello Ada');
    expect(got?.text).toContain('Plain words.');
    expect(got?.raw).toMatch(/^From: KiloClaw <billing@kiloclaw\.test>/m);
    expect(got?.raw).toMatch(/text\/html/);
  });

  it('writes mail to the log in development when SMTP_URL is unset', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write: (c, _e, done) => {
          lines.push(String(c));
          done();
        },
      }),
    });
    const mailer = createMailer(testConfig({ APP_ENV: 'development' }), logger);
    await mailer.send(message);
    expect(lines.join('')).toContain('Hello Ada');
  });

  it('refuses to run in production without SMTP (customer mail would be lost)', () => {
    expect(() => createMailer({ SMTP_URL: undefined, MAIL_FROM: 'x', isProduction: true }, quietLogger())).toThrow(
      /SMTP_URL is required/,
    );
  });

  it('fails a send within its timeout when the relay accepts the connection but never answers', async () => {
    const silent = net.createServer(() => {}); // accepts, never greets
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const mailer = createSmtpMailer({
      url: `smtp://127.0.0.1:${port}`,
      from: 'x@kiloclaw.test',
      logger: quietLogger(),
      timeouts: { greetingMs: 300 },
    });
    const started = Date.now();
    try {
      await expect(mailer.send(message)).rejects.toThrow(/greeting|timeout/i);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await mailer.close();
      silent.close();
    }
  });
});
