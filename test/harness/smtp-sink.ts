// A real SMTP server on loopback (the smtp-server package) that keeps what it accepts. It can refuse a
// share of messages (a flaky relay) or specific recipients, and slow each message down (a busy relay).
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

type ReceivedMail = { to: string[]; subject: string; text: string; raw: string };

export type SmtpSink = {
  url: string;
  /** messages accepted (a refused message is not here) */
  received: ReceivedMail[];
  /** how many messages were refused */
  refused: () => number;
  /** share of messages refused with a 451, decided by a seeded generator so runs repeat */
  setRejectRate: (rate: number) => void;
  /** refuse every message to these addresses */
  rejectRecipients: Set<string>;
  /** delay before answering each message */
  setDelayMs: (ms: number) => void;
  /** accepted messages to `address` */
  to: (address: string) => ReceivedMail[];
  close: () => Promise<void>;
};

/** mulberry32: a tiny deterministic generator, so a "30% failure" run is the same run every time */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return head.match(new RegExp(`^${name}:\\s*(.*)$`, 'im'))?.[1]?.trim() ?? '';
}

/** The text/plain part, quoted-printable decoded — enough to check what a person reads. */
function plainText(raw: string): string {
  const m = raw.match(/Content-Type: text\/plain[\s\S]*?\r?\n\r?\n([\s\S]*?)(?:\r?\n--|$)/i);
  const body = m?.[1] ?? '';
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export async function startSmtpSink(opts: { seed?: number } = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const rejectRecipients = new Set<string>();
  let rejectRate = 0;
  let delayMs = 0;
  let refused = 0;
  const random = seeded(opts.seed ?? 42);

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 200, // pooled client connections are cut at close instead of waited for
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const to = session.envelope.rcptTo.map((r) => r.address);
        const refuse = to.some((a) => rejectRecipients.has(a)) || random() < rejectRate;
        setTimeout(() => {
          if (refuse) {
            refused++;
            const err = new Error('451 4.3.0 Temporary relay failure, try again later') as Error & {
              responseCode: number;
            };
            err.responseCode = 451;
            return callback(err);
          }
          received.push({ to, subject: header(raw, 'Subject'), text: plainText(raw), raw });
          callback();
        }, delayMs);
      });
    },
  });
  const port = await new Promise<number>((resolve) => {
    const listening = server.listen(0, '127.0.0.1', () => resolve((listening.address() as AddressInfo).port));
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refused: () => refused,
    setRejectRate: (r) => {
      rejectRate = r;
    },
    rejectRecipients,
    setDelayMs: (ms) => {
      delayMs = ms;
    },
    to: (address) => received.filter((m) => m.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
