// Shared set-up of the instance tests: a Fly emulator + the real fly provider, lifecycle deps on a
// test database, and a test app composed with a given provider.
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '@/db/client';
import { kiloclawInstances, kiloclawSubscriptions } from '@/db/schema';
import { type EmulatedMachine, type FlyEmulator, startFlyEmulator } from '@/emulators/fly/server';
import type { InstanceDeps } from '@/instances/lifecycle/deps';
import { createFlyProvider } from '@/instances/providers/fly/fly-provider';
import type { MachineProvider } from '@/instances/providers/provider';
import type { Clock } from '@/platform/clock';
import { createLogger } from '@/platform/logger';
import { createAppDeps } from '@/server/app-deps';
import { startTestApp, TEST_SECRETS, type TestApp } from './app';
import { signUp, type TestUser } from './client';
import { createTestDb, type TestDb } from './db';

export const FLY_APP = 'kiloclaw-test';

export async function flyWithEmulator(): Promise<{ emulator: FlyEmulator; provider: MachineProvider }> {
  const emulator = await startFlyEmulator({ appName: FLY_APP });
  const provider = createFlyProvider({
    baseUrl: emulator.url,
    appName: FLY_APP,
    token: emulator.token,
    region: 'iad',
    image: 'registry.fly.io/kiloclaw:test',
    controllerUrlTemplate: emulator.controllerUrlTemplate,
  });
  return { emulator, provider };
}

export function lifecycleDeps(db: Db, clock: Clock, provider: MachineProvider, startWaitMs = 5_000): InstanceDeps {
  return {
    db,
    clock,
    provider,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    controllerSecret: TEST_SECRETS.CONTROLLER_SECRET,
    startWaitMs,
  };
}

export async function instanceOf(db: Db, userId: string) {
  const [row] = await db.select().from(kiloclawInstances).where(eq(kiloclawInstances.userId, userId));
  return row ?? null;
}

/** A user with an active subscription, so clawAccessProcedure lets them through. */
export async function grantAccess(db: Db, userId: string): Promise<void> {
  await db.insert(kiloclawSubscriptions).values({ userId, status: 'active', plan: 'standard' });
}

/** The test app composed with `provider` (the composition root itself, not a copy of it). */
export function startAppWith(opts: {
  db: Db;
  clock?: Clock;
  provider: MachineProvider;
  startWaitMs?: number;
  env?: Record<string, string>;
}): Promise<TestApp> {
  return startTestApp({
    db: opts.db,
    clock: opts.clock,
    env: opts.env,
    extend: (deps) =>
      createAppDeps({
        config: deps.config,
        db: deps.db,
        clock: deps.clock,
        logger: deps.logger,
        mailer: deps.mailer,
        machineProvider: opts.provider,
        startWaitMs: opts.startWaitMs ?? 5_000,
      }),
  });
}

export type FlyWorld = {
  tdb: TestDb;
  emulator: FlyEmulator;
  provider: MachineProvider;
  app: TestApp;
  close: () => Promise<void>;
};

/** A test database, the Fly emulator and the test app composed with the real fly provider on it. */
export async function startFlyWorld(opts: { clock?: Clock } = {}): Promise<FlyWorld> {
  const tdb = await createTestDb();
  const { emulator, provider } = await flyWithEmulator();
  const app = await startAppWith({ db: tdb.db, clock: opts.clock, provider });
  return {
    tdb,
    emulator,
    provider,
    app,
    close: async () => {
      await app.close();
      await emulator.close();
      await tdb.close();
    },
  };
}

/** A signed-up user with access and a running instance (its controller `controller`), and its machine. */
export async function userWithInstance(
  w: FlyWorld,
  controller: 'current' | 'legacy' = 'current',
): Promise<{ u: TestUser; m: EmulatedMachine; instanceId: string }> {
  const u = await signUp(w.app.url);
  await grantAccess(w.tdb.db, u.id);
  w.emulator.behaviour.controller = controller;
  expect((await u.trpc.kiloclaw.startInstance.mutate()).status).toBe('running');
  const row = (await instanceOf(w.tdb.db, u.id))!;
  return { u, m: w.emulator.machines.get(row.machineId!)!, instanceId: row.id };
}
