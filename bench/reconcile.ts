// bench:reconcile — what one reconcile run costs in provider calls at fleet size. INSTANCES running
// instances on the Fly emulator (real fly provider over HTTP, real PostgreSQL), nothing changed since
// the last run:
//   reconcile: the real reconcileInstances (one paged listing of the app's machines, rows compared in
//              the database's pages; only a row the listing disagrees with costs a call of its own);
//   baseline:  the per-row check the reconciler used to make: one Get Machine per running instance.
// Then one machine is stopped behind the app's back: the next run must find and repair it in the same
// pass. Then Fly's rate limits are switched on (with a list rate low enough to be hit): the run must
// still finish, honouring 429 + Retry-After.
// ratio = provider_calls ÷ baseline_provider_calls (goal: ≤ 0.01, one call per 100 instances).
import os from 'node:os';
import { eq, sql } from 'drizzle-orm';
import { kiloclawInstances } from '@/db/schema';
import { MachineImage } from '@/emulators/fly/machine-image';
import { FLY_RATE_LIMITS, type FlyEmulator, startFlyEmulator } from '@/emulators/fly/server';
import type { InstanceDeps } from '@/instances/lifecycle/deps';
import { reconcileInstances } from '@/instances/lifecycle/reconcile';
import { createFlyProvider } from '@/instances/providers/fly/fly-provider';
import { METADATA_INSTANCE_ID, METADATA_USER_ID } from '@/instances/providers/provider';
import { systemClock } from '@/platform/clock';
import { createLogger } from '@/platform/logger';
import { benchDatabase, round, sized } from './lib';

const INSTANCES = sized(10_000, 300);
const APP = 'kiloclaw-bench';
const BASELINE_CONCURRENCY = 8; // the old pass was sequential; 8 at once only flatters the baseline

const load = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

async function seed(db: Awaited<ReturnType<typeof benchDatabase>>['db'], emulator: FlyEmulator): Promise<void> {
  await db.execute(sql`
    insert into users (id, name, email)
    select 'u' || g, 'User ' || g, 'u' || g || '@bench.test' from generate_series(1, ${INSTANCES}) g`);
  await db.execute(sql`
    insert into kiloclaw_instances (user_id, status, provider, machine_name, machine_id, status_changed_at)
    select 'u' || g, 'running', 'fly', 'kiloclaw-' || g, 'm' || lpad(g::text, 13, '0'), now() - interval '1 hour'
    from generate_series(1, ${INSTANCES}) g`);
  const rows = await db
    .select({ id: kiloclawInstances.id, userId: kiloclawInstances.userId, machineId: kiloclawInstances.machineId })
    .from(kiloclawInstances);
  for (const row of rows) {
    const id = row.machineId as string;
    emulator.machines.set(id, {
      id,
      name: `kiloclaw-${row.id}`,
      state: 'started',
      region: 'iad',
      instance_id: id.toUpperCase(),
      private_ip: 'fdaa::1',
      config: { image: 'bench', metadata: { [METADATA_USER_ID]: row.userId, [METADATA_INSTANCE_ID]: row.id } },
      created_at: new Date().toISOString(),
      image: new MachineImage(),
      controller: 'current',
    });
  }
}

async function main(): Promise<void> {
  console.log(`bench:reconcile — ${INSTANCES} running instances on the Fly emulator; load average ${load()}`);
  const database = await benchDatabase();
  const emulator = await startFlyEmulator({ appName: APP });
  try {
    const provider = createFlyProvider({
      baseUrl: emulator.url,
      appName: APP,
      token: emulator.token,
      region: 'iad',
      image: 'bench',
      controllerUrlTemplate: emulator.controllerUrlTemplate,
    });
    const deps: InstanceDeps = {
      db: database.db,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      provider,
      controllerSecret: 'bench-controller-secret-0123456789abcdef',
      startWaitMs: 0,
    };
    await seed(database.db, emulator);

    // baseline: one Get Machine per running instance
    const ids = (await database.db.select({ m: kiloclawInstances.machineId }).from(kiloclawInstances)).map((r) => r.m);
    let before = emulator.calls.length;
    let t0 = performance.now();
    for (let i = 0; i < ids.length; i += BASELINE_CONCURRENCY) {
      await Promise.all(ids.slice(i, i + BASELINE_CONCURRENCY).map((id) => provider.getMachine(id as string)));
    }
    const baselineSeconds = (performance.now() - t0) / 1000;
    const baselineCalls = emulator.calls.length - before;

    // the reconciler, nothing changed
    before = emulator.calls.length;
    t0 = performance.now();
    const quiet = await reconcileInstances(deps);
    const seconds = (performance.now() - t0) / 1000;
    const calls = emulator.calls.length - before;
    if (!quiet.ok || quiet.errorCount > 0)
      throw new Error(`quiet run reported errors: ${JSON.stringify(quiet.errors)}`);

    // one machine stopped behind the app's back: found and repaired in the same pass
    const changed = ids[Math.floor(ids.length / 2)] as string;
    const machine = emulator.machines.get(changed);
    if (machine) machine.state = 'stopped';
    before = emulator.calls.length;
    const repairRun = await reconcileInstances(deps);
    const repairCalls = emulator.calls.length - before;
    const [repaired] = await database.db
      .select({ status: kiloclawInstances.status })
      .from(kiloclawInstances)
      .where(eq(kiloclawInstances.machineId, changed));
    if (repaired?.status !== 'stopped' || repairRun.passes.running_check.actioned !== 1) {
      throw new Error(`the stopped machine was not repaired: ${JSON.stringify(repairRun.passes.running_check)}`);
    }

    // Fly's rate limits on, with a list rate the paged listing must exceed
    emulator.behaviour.rateLimits = { ...FLY_RATE_LIMITS, list: { perSecond: 4, burst: 2 } };
    before = emulator.calls.length;
    t0 = performance.now();
    const limited = await reconcileInstances(deps);
    const limitedSeconds = (performance.now() - t0) / 1000;
    const limitedCalls = emulator.calls.length - before;

    console.log(`baseline (Get Machine per instance): ${baselineCalls} calls in ${baselineSeconds.toFixed(2)} s`);
    console.log(`reconcile, nothing changed:          ${calls} calls in ${seconds.toFixed(2)} s`);
    console.log(`reconcile, one machine stopped:      ${repairCalls} calls, repaired in the same run`);
    console.log(
      `reconcile under Fly's rate limits:   ${limitedCalls} calls (429s included) in ${limitedSeconds.toFixed(2)} s, ` +
        `ok=${limited.ok}, errors=${limited.errorCount}`,
    );
    console.log(`load average at the end: ${load()}`);
    console.log(
      JSON.stringify({
        instances: INSTANCES,
        provider_calls: calls,
        seconds: round(seconds, 3),
        baseline_provider_calls: baselineCalls,
        ratio: round(calls / baselineCalls, 4),
        baseline_seconds: round(baselineSeconds, 3),
        repair_provider_calls: repairCalls,
        rate_limited_seconds: round(limitedSeconds, 3),
        rate_limited_calls: limitedCalls,
      }),
    );
  } finally {
    await emulator.close();
    await database.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
