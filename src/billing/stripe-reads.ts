// Stripe reads for code that runs under the billing row lock — which must never wait on Stripe: a
// transaction holding a pool connection and a row lock across a slow Stripe answer stalls every
// other request (10 connections, 10 s transaction timeout).
//
// Code under the lock asks `LockedReads` for an answer. If none was fetched, it throws
// StripeReadNeeded; withStripeReads rolls the transaction back, notes the row's version (its xmin),
// fetches from Stripe with no transaction open, and runs the transaction again. An answer counts only
// if the row has not been written since that version was noted: it was then fetched after the newest
// state we hold was committed, so it is at least as new, and its stamp is Stripe's clock when it
// answered (the `Date` header), not the time of the event that asked for it.
import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Db, DbOrTx } from '@/db/client';
import type { StripeClient } from './stripe-client';

export type Answer<T> = { value: T; answeredAt: number | null; rowVersion: string | null };

type Kind = 'subscription' | 'schedule';

export class StripeReadNeeded extends Error {
  constructor(
    readonly kind: Kind,
    readonly id: string,
    /** the user whose row version the answer must follow; null when any answer will do */
    readonly userId: string | null,
  ) {
    super(`stripe ${kind} ${id} must be read before the transaction`);
    this.name = 'StripeReadNeeded';
  }
}

/** Stripe's clock when it answered (the `Date` header, unix seconds): the answer is the state as of then. */
export function answeredAt(res: { lastResponse?: { headers?: Record<string, string> } }): number | null {
  const ms = Date.parse(res.lastResponse?.headers?.date ?? '');
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** The row's version: PostgreSQL's xmin changes with every committed write of the row (not with a lock). */
export async function billingRowVersion(db: DbOrTx, userId: string): Promise<string | null> {
  const rows = await db.execute<{ v: string }>(
    sql`select xmin::text as v from kiloclaw_subscriptions where user_id = ${userId}`,
  );
  return rows[0]?.v ?? null;
}

export class LockedReads {
  private answers = new Map<string, Answer<unknown>>();

  private get<T>(kind: Kind, id: string, guard: { userId: string; version: string | null } | null): Answer<T> {
    const a = this.answers.get(`${kind}:${id}`) as Answer<T> | undefined;
    if (a && (!guard || a.rowVersion === guard.version)) return a;
    throw new StripeReadNeeded(kind, id, guard?.userId ?? null);
  }

  /** `guard`: the locked row and its version — the answer must have been fetched since it was written. */
  subscription(id: string, guard: { userId: string; version: string | null } | null): Answer<Stripe.Subscription> {
    return this.get('subscription', id, guard);
  }

  schedule(id: string, guard: { userId: string; version: string | null } | null): Answer<Stripe.SubscriptionSchedule> {
    return this.get('schedule', id, guard);
  }

  /** Seeds an answer a caller already holds (a procedure's own Stripe call). */
  put(kind: Kind, id: string, answer: Answer<unknown>): void {
    this.answers.set(`${kind}:${id}`, answer);
  }

  async fetch(
    stripe: StripeClient,
    need: StripeReadNeeded,
    rowVersion: string | null,
    call: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
  ): Promise<void> {
    const res =
      need.kind === 'subscription'
        ? await call('subscriptions.retrieve', () => stripe.subscriptions.retrieve(need.id))
        : await call('subscriptionSchedules.retrieve', () => stripe.subscriptionSchedules.retrieve(need.id));
    this.put(need.kind, need.id, { value: res, answeredAt: answeredAt(res), rowVersion });
  }
}

/** A row written this many times while we fetched is a hot row; Stripe's webhook retry settles it later. */
const MAX_READ_ROUNDS = 8;

/**
 * Runs `attempt` (one database transaction) until it needs no Stripe answer it does not have. Each
 * round fetches what the last one asked for, outside any transaction.
 */
export async function withStripeReads<T>(
  deps: {
    db: Db;
    stripe: StripeClient;
    call?: <R>(what: string, fn: () => Promise<R>) => Promise<R>;
  },
  attempt: (reads: LockedReads) => Promise<T>,
  reads = new LockedReads(),
): Promise<T> {
  const call = deps.call ?? ((_what, fn) => fn());
  for (let round = 1; ; round++) {
    try {
      return await attempt(reads);
    } catch (err) {
      if (!(err instanceof StripeReadNeeded) || round >= MAX_READ_ROUNDS) throw err;
      const version = err.userId ? await billingRowVersion(deps.db, err.userId) : null;
      await reads.fetch(deps.stripe, err, version, call);
    }
  }
}
