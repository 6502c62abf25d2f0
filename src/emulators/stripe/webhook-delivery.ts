// Signed webhook delivery, as Stripe does it: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
// "t.body" keyed with the whole whsec_ string>`, retry with backoff on any non-2xx or network error
// (bounded, unlike Stripe's 3 days), and — for tests — optional shuffling and duplicate deliveries.
import { createHmac } from 'node:crypto';
import type { StripeEvent } from './objects';

export type DeliveryOptions = {
  secret: string;
  url?: string;
  /** deliver each batch of pending events in random order, several at once */
  shuffle?: boolean;
  /** probability in [0,1] that an event is sent twice */
  duplicateRate?: number;
  /** hold events until flush() (for tests that deliver a whole history at once) */
  paused?: boolean;
  maxAttempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
};

export type DeliveryStats = {
  attempts: number;
  delivered: number;
  duplicatesSent: number;
  failedAttempts: number;
  gaveUp: number;
};

export function signatureHeader(body: string, secret: string, timestampS = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},v1=${v1}`;
}

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export class WebhookDelivery {
  private pending: StripeEvent[] = [];
  private busy = 0;
  private waiters: Array<() => void> = [];
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private pumping = false;
  readonly stats: DeliveryStats = { attempts: 0, delivered: 0, duplicatesSent: 0, failedAttempts: 0, gaveUp: 0 };

  constructor(private opts: DeliveryOptions) {}

  setUrl(url: string): void {
    this.opts.url = url;
    this.pump();
  }
  setPaused(paused: boolean): void {
    this.opts.paused = paused;
    if (!paused) this.pump();
  }

  enqueue(event: StripeEvent): void {
    this.pending.push(event);
    if (!this.opts.paused) queueMicrotask(() => this.pump());
  }

  /** Delivers everything pending now (even when paused), with per-call shuffle/duplication; resolves when idle. */
  async flush(opts: { shuffle?: boolean; duplicateRate?: number; concurrency?: number } = {}): Promise<void> {
    await this.deliverBatch(opts);
    await this.idle();
  }

  private async deliverBatch(opts: { shuffle?: boolean; duplicateRate?: number; concurrency?: number }): Promise<void> {
    const batch = this.pending.splice(0);
    const order = (opts.shuffle ?? this.opts.shuffle) ? shuffled(batch) : batch;
    const sends: Array<() => Promise<void>> = [];
    for (const e of order) {
      sends.push(() => this.send(e, 1));
      if (Math.random() < (opts.duplicateRate ?? this.opts.duplicateRate ?? 0)) {
        this.stats.duplicatesSent++;
        sends.push(() => this.send(e, 1));
      }
    }
    const dupOrder = (opts.shuffle ?? this.opts.shuffle) ? shuffled(sends) : sends;
    // In order, one at a time, unless shuffling (then several at once, as Stripe really does).
    const concurrency = opts.concurrency ?? ((opts.shuffle ?? this.opts.shuffle) ? 8 : 1);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, dupOrder.length) }, async () => {
        while (next < dupOrder.length) await dupOrder[next++]!();
      }),
    );
  }

  /** Resolves when nothing is pending (unless paused), in flight, or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  pendingCount(): number {
    return this.pending.length;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wake(true);
  }

  private isIdle(): boolean {
    return (
      !this.pumping &&
      this.busy === 0 &&
      this.timers.size === 0 &&
      (this.opts.paused || !this.opts.url || this.pending.length === 0)
    );
  }

  private wake(force = false): void {
    if (!force && !this.isIdle()) return;
    const ws = this.waiters.splice(0);
    for (const w of ws) w();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // delivery runs in the background; send() never rejects (a failed POST is counted and retried)
    void (async () => {
      try {
        while (!this.opts.paused && this.opts.url && !this.stopped && this.pending.length > 0)
          await this.deliverBatch({});
      } finally {
        this.pumping = false;
        this.wake();
      }
    })();
  }

  private async send(event: StripeEvent, attempt: number): Promise<void> {
    if (this.stopped || !this.opts.url) return;
    this.busy++;
    let ok = false;
    try {
      const body = JSON.stringify(event);
      this.stats.attempts++;
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signatureHeader(body, this.opts.secret),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      ok = res.status >= 200 && res.status < 300;
    } catch {
      ok = false;
    } finally {
      this.busy--;
    }
    if (ok) this.stats.delivered++;
    else {
      this.stats.failedAttempts++;
      if (attempt < (this.opts.maxAttempts ?? 5) && !this.stopped) {
        const delay = (this.opts.backoffMs ?? 200) * 2 ** (attempt - 1);
        const t = setTimeout(() => {
          this.timers.delete(t);
          void this.send(event, attempt + 1); // never rejects
        }, delay);
        this.timers.add(t);
      } else this.stats.gaveUp++;
    }
    this.wake();
  }
}
