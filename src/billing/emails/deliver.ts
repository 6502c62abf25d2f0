// Claim-then-send, with the cleanup that keeps the log honest: a failed send gives its claim back so
// the next run retries; if giving it back fails too, that is logged and the *send* error propagates
// (it is the one that says what went wrong for the customer).
import type { DbOrTx } from '@/db/client';
import type { EmailType } from '@/db/schema';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import type { Mailer } from '@/platform/mailer';
import { claimEmails, releaseEmailClaim } from './email-log';
import { type EmailContext, renderEmail } from './layout';
import { EMAIL_TEMPLATES } from './templates';

export type EmailDeps = { db: DbOrTx; mailer: Mailer; logger: Logger };
export type Recipient = Omit<EmailContext, 'appUrl'> & { userId: string };
export type EmailTally = { sent: number; skipped: number; failed: number };
export type EmailFailure = { userId: string; emailType: EmailType; message: string };

/** Sends an email whose log row this caller has already claimed. Throws the send error after releasing the claim. */
async function sendClaimed(deps: EmailDeps & { appUrl: string }, emailType: EmailType, to: Recipient): Promise<void> {
  const message = renderEmail(EMAIL_TEMPLATES[emailType], { ...to, appUrl: deps.appUrl });
  try {
    await deps.mailer.send(message);
  } catch (sendError) {
    try {
      await releaseEmailClaim(deps.db, to.userId, emailType);
    } catch (releaseError) {
      deps.logger.error(
        { userId: to.userId, emailType, sendError: errorMessage(sendError), releaseError: errorMessage(releaseError) },
        'email: send failed and its log claim could not be released; this email will not be retried until the row is removed',
      );
    }
    throw sendError;
  }
}

/** One email to one user, at most once ever: 'skipped' when the log already holds it. */
export async function sendOnce(
  deps: EmailDeps & { appUrl: string; now: Date },
  emailType: EmailType,
  to: Recipient,
): Promise<'sent' | 'skipped'> {
  const claimed = await claimEmails(deps.db, emailType, [to.userId], deps.now);
  if (!claimed.has(to.userId)) return 'skipped';
  await sendClaimed(deps, emailType, to);
  return 'sent';
}

/** Runs `fn` over items with at most `limit` in flight; never rejects (fn handles its own errors). */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  // one iterator shared by the workers: each takes the next item when it is free
  const queue = items.values();
  const worker = async () => {
    for (const item of queue) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The batch form used by the sweeps: one statement claims the whole batch, then each claimed email
 * is sent; one recipient's failure is counted and never stops the others.
 */
export async function deliverOnce(
  deps: EmailDeps & { appUrl: string; now: Date; concurrency: number },
  emailType: EmailType,
  recipients: readonly Recipient[],
): Promise<{ tally: EmailTally; failures: EmailFailure[]; notSent: string[] }> {
  const tally: EmailTally = { sent: 0, skipped: 0, failed: 0 };
  const failures: EmailFailure[] = [];
  const claimed = await claimEmails(
    deps.db,
    emailType,
    recipients.map((r) => r.userId),
    deps.now,
  );
  tally.skipped = recipients.length - claimed.size;
  await forEachLimited(
    recipients.filter((r) => claimed.has(r.userId)),
    deps.concurrency,
    async (r) => {
      try {
        await sendClaimed(deps, emailType, r);
        tally.sent++;
      } catch (err) {
        tally.failed++;
        failures.push({ userId: r.userId, emailType, message: errorMessage(err) });
      }
    },
  );
  const notSent = [
    ...recipients.filter((r) => !claimed.has(r.userId)).map((r) => r.userId),
    ...failures.map((f) => f.userId),
  ];
  return { tally, failures, notSent };
}
