// A start that loses its claim (to a stop, a suspension or a destroy) must not leave its machine
// running: on the Fly emulator over real HTTP, on PostgreSQL, with the billing cron and the
// reconciler running all the while. The clock stands still, so the reconciler's stray_stop pass
// (which waits out a grace period) cannot be what cleans up: the start itself has to.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawInstances } from '@/db/schema';
import { volumeNameFor } from '@/instances/lifecycle/deps';
import { METADATA_INSTANCE_ID } from '@/instances/providers/provider';
import { fixedClock } from '@/platform/clock';
import { TEST_SECRETS } from '../harness/app';
import { NOW, trial } from '../harness/cron-fixtures';
import { eventually } from '../harness/eventually';
import { type FlyWorld, instanceOf, startFlyWorld } from '../harness/instances';
import { makeUser } from '../harness/users';

const PAIRS = 50; // start, then stop at once
const DESTROYS = 10; // start, then destroy at once
const clock = fixedClock(NOW);
let w: FlyWorld;

beforeAll(async () => {
  w = await startFlyWorld({ clock });
  w.emulator.behaviour.answerDelayMs = 10; // Fly's answers take time: a machine exists before its creator knows
});
afterAll(async () => {
  await w?.close();
});

const machineOf = (userId: string) =>
  [...w.emulator.machines.values()].some((m) => m.config.metadata?.kiloclaw_user_id === userId);
const STEPS: Array<(userId: string) => Promise<boolean> | boolean> = [
  async (userId) => (await instanceOf(w.tdb.db, userId))?.status === 'starting',
  async (userId) => {
    const row = await instanceOf(w.tdb.db, userId);
    return !!row && [...w.emulator.volumes.values()].some((v) => v.name === volumeNameFor(row.id));
  },
  machineOf,
];

/** The two cron endpoints, called back to back until `done` settles. */
async function cronsUntil(done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const statuses: number[] = [];
  const loop = async (path: string) => {
    while (!finished) {
      const res = await fetch(`${w.app.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_SECRETS.CRON_SECRET}` },
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
  };
  await Promise.all([loop('/api/cron/billing-lifecycle'), loop('/api/cron/reconcile-instances')]);
  return statuses;
}

/** Machines that are up (or coming up) while no running instance accounts for them. */
async function untrackedMachines(): Promise<string[]> {
  const rows = await w.tdb.db
    .select({ id: kiloclawInstances.id, status: kiloclawInstances.status })
    .from(kiloclawInstances);
  const status = new Map(rows.map((r) => [r.id, r.status]));
  return [...w.emulator.machines.values()]
    .filter((m) => ['created', 'starting', 'started'].includes(m.state))
    .filter((m) => status.get(m.config.metadata?.[METADATA_INSTANCE_ID] ?? '') !== 'running')
    .map(
      (m) => `${m.id} (${m.state}, instance ${status.get(m.config.metadata?.[METADATA_INSTANCE_ID] ?? '') ?? 'gone'})`,
    );
}

describe('a start racing a stop, a suspension or a destroy', () => {
  it('leaves no machine running that no running instance tracks (50 start+stop, 10 start+destroy, crons running)', async () => {
    // every fifth user's trial has just ended: the billing cron suspends them (and stops their
    // instance) while their start is in flight; the others pay
    const users = [];
    for (let i = 0; i < PAIRS + DESTROYS; i++) {
      users.push(await makeUser(w.tdb.db, { sub: i % 5 === 0 ? trial(0) : { status: 'active', plan: 'standard' } }));
    }
    const { instances } = w.app.deps;
    const settle = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e as { code?: string }).code ?? String(e),
      );
    const races = users.map(async (user, i) => {
      const starting = settle(instances.start(user.id));
      // "at once": the stop lands on every step of the start in turn — right after its claim, once its
      // volume exists, once its machine exists (before the start has recorded it)
      const step = STEPS[i % STEPS.length]!;
      await eventually(() => step(user.id), { intervalMs: 1, what: 'the start to reach its step' }).catch(() => null);
      const ending = settle(i < PAIRS ? instances.stop(user.id) : instances.destroy(user.id));
      return [await starting, await ending];
    });
    const all = Promise.all(races);
    const cronStatuses = await cronsUntil(all);
    const outcomes = await all;
    expect(cronStatuses.length).toBeGreaterThan(0);
    expect(cronStatuses.every((s) => s === 200)).toBe(true);
    // only the refusals a race may legitimately give
    for (const o of outcomes.flat())
      expect(['ok', 'instance_not_found', 'instance_busy', 'instance_destroying']).toContain(o);

    await sleep(300); // machines launched in the last instant reach `started` (the emulator takes 20 ms)
    expect(await untrackedMachines()).toEqual([]);

    // the race was real: most stops landed on a start in flight
    const rows = await w.tdb.db.select({ status: kiloclawInstances.status }).from(kiloclawInstances);
    expect(rows.filter((r) => r.status === 'stopped').length).toBeGreaterThan(PAIRS / 2);
  });
});
