// One run of the billing lifecycle: the eight sweeps of docs/billing.md §6.2, in order, and a summary of what
// each did. A sweep whose statement fails is reported and the next sweep still runs.
import { errorMessage } from '@/platform/error-message';
import type { EmailTally } from '../emails/deliver';
import { destructionSweep } from './destruction-sweep';
import { earlybirdExpirySweep, pastDueSweep, subscriptionExpirySweep, trialExpirySweep } from './suspension-sweeps';
import type { SweepDeps, SweepInput, SweepReport } from './sweep-kit';
import { destructionWarningSweep, earlybirdWarningSweep, trialWarningSweep } from './warning-sweeps';

export const SWEEPS = [
  ['trial_warning', trialWarningSweep],
  ['earlybird_warning', earlybirdWarningSweep],
  ['trial_expiry', trialExpirySweep],
  ['earlybird_expiry', earlybirdExpirySweep],
  ['subscription_expiry', subscriptionExpirySweep],
  ['past_due_cleanup', pastDueSweep],
  ['destruction_warning', destructionWarningSweep],
  ['destruction', destructionSweep],
] as const satisfies ReadonlyArray<readonly [string, (input: SweepInput) => Promise<SweepReport>]>;

type SweepName = (typeof SWEEPS)[number][0];

/** Errors listed in a summary; beyond this only the count grows (a bad SMTP day must not make a huge response). */
const MAX_LISTED_ERRORS = 50;

type LifecycleError = { sweep: SweepName; userId?: string; step: string; message: string };

export type LifecycleSummary = {
  skipped: false;
  ok: boolean;
  startedAt: string;
  durationMs: number;
  sweeps: Record<SweepName, { actioned: number; emails: EmailTally; errors: number; ms: number; failed?: string }>;
  emails: EmailTally;
  errorCount: number;
  errors: LifecycleError[];
};

export async function runBillingLifecycle(deps: SweepDeps): Promise<LifecycleSummary> {
  const started = performance.now();
  const now = deps.clock.now();
  const input: SweepInput = { deps, now };
  const sweeps = {} as LifecycleSummary['sweeps'];
  const emails: EmailTally = { sent: 0, skipped: 0, failed: 0 };
  const errors: LifecycleError[] = [];
  let errorCount = 0;
  let ok = true;

  for (const [name, sweep] of SWEEPS) {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    try {
      const r = await sweep(input);
      sweeps[name] = { actioned: r.actioned, emails: r.emails, errors: r.errors.length, ms: ms() };
      emails.sent += r.emails.sent;
      emails.skipped += r.emails.skipped;
      emails.failed += r.emails.failed;
      errorCount += r.errors.length;
      for (const e of r.errors) if (errors.length < MAX_LISTED_ERRORS) errors.push({ sweep: name, ...e });
    } catch (err) {
      // a statement failed (database down, lock timeout): this sweep stops, the others still run
      ok = false;
      errorCount++;
      const message = errorMessage(err);
      sweeps[name] = { actioned: 0, emails: { sent: 0, skipped: 0, failed: 0 }, errors: 1, ms: ms(), failed: message };
      if (errors.length < MAX_LISTED_ERRORS) errors.push({ sweep: name, step: 'sweep', message });
      deps.logger.error({ sweep: name, reason: message }, 'lifecycle: sweep failed');
    }
  }
  const summary: LifecycleSummary = {
    skipped: false,
    ok,
    startedAt: now.toISOString(),
    durationMs: Math.round(performance.now() - started),
    sweeps,
    emails,
    errorCount,
    errors,
  };
  deps.logger.info({ sweeps, emails, errorCount, durationMs: summary.durationMs }, 'lifecycle: run finished');
  return summary;
}
