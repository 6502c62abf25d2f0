// The mail transport: SMTP (nodemailer) when SMTP_URL is set, the log otherwise (development only —
// config.ts makes a missing SMTP_URL a start-up error in production).

import nodemailer from 'nodemailer';
import type { Config } from './config';
import { errorMessage } from './error-message';
import type { Logger } from './logger';

export type MailMessage = { to: string; subject: string; text: string; html: string };

export interface Mailer {
  /** Resolves once the transport accepted the message; rejects with the transport's error otherwise. */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

// A server that does not answer within these is not going to: fail the message and let the caller retry.
const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
const SMTP_GREETING_TIMEOUT_MS = 10_000;
const SMTP_SOCKET_TIMEOUT_MS = 30_000;
/** Parallel SMTP connections: the cron sends a burst of mails; a few connections keep it short without flooding the relay. */
const SMTP_MAX_CONNECTIONS = 4;

export type SmtpTimeouts = { connectionMs: number; greetingMs: number; socketMs: number };

export function createSmtpMailer(opts: {
  url: string;
  from: string;
  logger: Logger;
  timeouts?: Partial<SmtpTimeouts>;
}): Mailer {
  const transport = nodemailer.createTransport({
    url: opts.url,
    pool: true,
    maxConnections: SMTP_MAX_CONNECTIONS,
    connectionTimeout: opts.timeouts?.connectionMs ?? SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: opts.timeouts?.greetingMs ?? SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: opts.timeouts?.socketMs ?? SMTP_SOCKET_TIMEOUT_MS,
  });
  return {
    async send(message) {
      try {
        await transport.sendMail({ from: opts.from, ...message });
      } catch (err) {
        // the URL may carry credentials: log the server's answer, never the transport options
        opts.logger.warn({ to: message.to, subject: message.subject, reason: errorMessage(err) }, 'mail: send failed');
        throw err;
      }
    },
    close: async () => transport.close(),
  };
}

/** Development without SMTP: each mail is one log line a person can read (links included). */
export function createLogMailer(logger: Logger): Mailer {
  return {
    async send(message) {
      logger.info(
        { mail: { to: message.to, subject: message.subject, text: message.text } },
        'mail (log transport, SMTP_URL unset)',
      );
    },
    close: async () => {},
  };
}

export function createMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'isProduction'>, logger: Logger): Mailer {
  if (config.SMTP_URL) return createSmtpMailer({ url: config.SMTP_URL, from: config.MAIL_FROM, logger });
  // loadConfig already refuses this; kept so a hand-built config cannot silently drop customer mail
  if (config.isProduction) throw new Error('SMTP_URL is required in production: customer emails would be lost.');
  return createLogMailer(logger);
}
