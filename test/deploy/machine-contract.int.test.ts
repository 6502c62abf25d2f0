// Both machine providers build their machines from the one machine contract (src/contracts/machine.ts):
// the Fly provider's create-machine call as the Fly emulator records it, and the local provider's
// spawned entrypoint (the image's own script) with a real controller and a real openclaw gateway.
// The exec fallback runs the real CLI through that entrypoint and reaches the gateway, not the controller.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerToken } from '@/contracts/controller-token';
import {
  MACHINE_ENV,
  MACHINE_GUEST,
  MACHINE_IMAGE,
  MACHINE_ROUTES,
  MACHINE_STOP,
  machineCommand,
  machineLayoutEnv,
  machineOpenclawCommand,
  machineSecretsEnv,
  missingMachineEnv,
} from '@/contracts/machine';
import type { FlyEmulator } from '@/emulators/fly/server';
import { createInstanceService } from '@/instances/instance-service';
import { createFallback } from '@/instances/pairing/fallback';
import { createFlyProvider } from '@/instances/providers/fly/fly-provider';
import { machineEntrypointPath } from '@/instances/providers/local/controller-bundle';
import { createLocalProvider, type LocalProvider } from '@/instances/providers/local/local-provider';
import type { MachineProvider } from '@/instances/providers/provider';
import { fixedClock } from '@/platform/clock';
import { createLogger } from '@/platform/logger';
import { openclawCliPath, openclawNodeBin } from '@/platform/openclaw-paths';
import { TEST_SECRETS } from '../harness/app';
import { createTestDb, type TestDb } from '../harness/db';
import { FLY_APP, flyWithEmulator, instanceOf, lifecycleDeps } from '../harness/instances';
import { ensureOpenclaw } from '../harness/openclaw';
import { makeUser } from '../harness/users';

const REAL_START_MS = 240_000; // controller + real openclaw gateway on a busy 2-core machine
const clock = fixedClock('2026-11-29T12:00:00Z');
let tdb: TestDb;

beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(async () => {
  await tdb?.close();
});

const secretsOf = (instanceId: string) => machineSecretsEnv(TEST_SECRETS.CONTROLLER_SECRET, instanceId);

describe('the Fly provider builds the machine from the contract', () => {
  let emulator: FlyEmulator;
  let provider: MachineProvider;

  beforeAll(async () => {
    ({ emulator, provider } = await flyWithEmulator());
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('asks Fly for the image, the contract environment and the volume at the contract mount', async () => {
    const { id: userId } = await makeUser(tdb.db);
    const service = createInstanceService(lifecycleDeps(tdb.db, clock, provider));
    expect((await service.start(userId)).status).toBe('running');
    const row = (await instanceOf(tdb.db, userId))!;

    const created = emulator.createRequests.find((r) => r.config.metadata?.kiloclaw_instance_id === row.id);
    expect(created).toBeDefined();
    const { config } = created!;
    expect(config.image).toBe('registry.fly.io/kiloclaw:test');
    expect(config.env).toEqual({ ...machineLayoutEnv(MACHINE_IMAGE), ...secretsOf(row.id) });
    expect(missingMachineEnv(config.env)).toEqual([]);
    expect(config.env?.[MACHINE_ENV.stateDir]?.startsWith(`${MACHINE_IMAGE.volumeMount}/`)).toBe(true);
    expect(config.env?.[MACHINE_ENV.gatewayPort]).toBe('3001');
    expect(config.env?.[MACHINE_ENV.gatewayPort]).not.toBe(config.env?.[MACHINE_ENV.controllerPort]);
    expect(config.mounts).toEqual([{ volume: row.volumeId, path: MACHINE_IMAGE.volumeMount }]);
    expect(config.guest).toEqual({ cpu_kind: 'shared', cpus: 1, memory_mb: MACHINE_GUEST.memoryMb });
    expect(config.stop_config).toEqual({ signal: 'SIGTERM', timeout: `${MACHINE_STOP.timeoutS}s` });
    // the machine can check its bearer token but never holds it, nor the server secret
    const sent = JSON.stringify(config);
    expect(sent).not.toContain(controllerToken(TEST_SECRETS.CONTROLLER_SECRET, row.id));
    expect(sent).not.toContain(TEST_SECRETS.CONTROLLER_SECRET);
  });

  it("answers the contract's health and version routes at the machine's controller URL", async () => {
    const { id: userId } = await makeUser(tdb.db);
    const service = createInstanceService(lifecycleDeps(tdb.db, clock, provider));
    await service.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    expect((await fetch(`${row.controllerUrl}${MACHINE_ROUTES.health}`)).status).toBe(200);
    const token = controllerToken(TEST_SECRETS.CONTROLLER_SECRET, row.id);
    const version = await fetch(`${row.controllerUrl}${MACHINE_ROUTES.version}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(version.status).toBe(200);
    const wrong = await fetch(`${row.controllerUrl}${MACHINE_ROUTES.version}`, {
      headers: { authorization: `Bearer ${controllerToken(TEST_SECRETS.CONTROLLER_SECRET, 'another-instance')}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('runs the exec fallback through the image entrypoint (a bare `openclaw` is not on the image PATH)', async () => {
    const { id: userId } = await makeUser(tdb.db);
    const service = createInstanceService(lifecycleDeps(tdb.db, clock, provider));
    await service.start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    const machine = emulator.machines.get(row.machineId!)!;
    const out = await provider.exec(row.machineId!, ['openclaw', 'devices', 'list', '--json'], 30);
    expect(out.exitCode).toBe(0);
    expect(machine.image.cliCalls).toEqual(['devices list --json']);
    expect(machineOpenclawCommand(MACHINE_IMAGE, ['x']).slice(0, 3)).toEqual([
      ...machineCommand(MACHINE_IMAGE),
      'openclaw',
    ]);
    expect((await provider.exec(row.machineId!, ['sh', '-c', 'id'], 30)).exitCode).toBe(127);
  });

  it('restarts a stopped machine on the current image and secrets (a new FLY_IMAGE, a rotated CONTROLLER_SECRET)', async () => {
    const { id: userId } = await makeUser(tdb.db);
    await createInstanceService(lifecycleDeps(tdb.db, clock, provider)).start(userId);
    const row = (await instanceOf(tdb.db, userId))!;
    const service = createInstanceService(lifecycleDeps(tdb.db, clock, provider));
    await service.stop(userId);

    const upgraded = createFlyProvider({
      baseUrl: emulator.url,
      appName: FLY_APP,
      token: emulator.token,
      region: 'iad',
      image: 'registry.fly.io/kiloclaw:v2',
      controllerUrlTemplate: emulator.controllerUrlTemplate,
    });
    const rotated = 'rotated-controller-secret-0123456789abcdef';
    const deps = { ...lifecycleDeps(tdb.db, clock, upgraded), controllerSecret: rotated };
    expect((await createInstanceService(deps).start(userId)).status).toBe('running');

    const machine = emulator.machines.get(row.machineId!)!;
    expect((await instanceOf(tdb.db, userId))!.machineId).toBe(row.machineId); // the same machine and volume
    expect(machine.config.image).toBe('registry.fly.io/kiloclaw:v2');
    expect(machine.config.env).toEqual({
      ...machineLayoutEnv(MACHINE_IMAGE),
      ...machineSecretsEnv(rotated, row.id),
    });
  });

  it('marks a machine without the contract variables failed, as the image would exit', async () => {
    const volume = await provider.createVolume({ name: 'kc_contract_missing' });
    const m = await provider.createMachine({
      name: 'contract-missing',
      spec: { env: { KILOCLAW_INSTANCE_ID: 'x' }, volumeId: volume.id, metadata: {} },
    });
    expect(m.id).toBeTruthy();
    // the provider always sends the layout; only the per-instance secrets are missing here
    expect(missingMachineEnv(emulator.machines.get(m.id)!.config.env)).toEqual([
      MACHINE_ENV.controllerTokenSha256,
      MACHINE_ENV.gatewayToken,
    ]);
    await expect.poll(() => emulator.machines.get(m.id)!.state, { timeout: 5_000 }).toBe('failed');
  });
});

describe('the local provider runs the image entrypoint with the contract environment', () => {
  let dataDir: string;
  let provider: LocalProvider;
  let instanceId: string;
  let machineId: string;
  let controllerUrl: string;

  beforeAll(async () => {
    ensureOpenclaw();
    dataDir = mkdtempSync(join(tmpdir(), 'kiloclaw-contract-'));
    provider = createLocalProvider({
      dataDir,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    });
    const service = createInstanceService(lifecycleDeps(tdb.db, clock, provider, REAL_START_MS - 30_000));
    const { id: userId } = await makeUser(tdb.db);
    expect((await service.start(userId)).status).toBe('running');
    const row = (await instanceOf(tdb.db, userId))!;
    instanceId = row.id;
    machineId = row.machineId!;
    controllerUrl = row.controllerUrl!;
  }, REAL_START_MS);
  afterAll(async () => {
    await provider?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('spawns machine/entrypoint.mjs under the pinned Node with every contract variable', () => {
    const spawn = provider.spawned.find((s) => s.machineId === machineId && s.kind === 'machine')!;
    expect(spawn.command).toEqual([openclawNodeBin(), machineEntrypointPath()]);
    const { env } = spawn;
    expect(env).toMatchObject(secretsOf(instanceId));
    expect(Object.keys(env)).toEqual(expect.arrayContaining(Object.keys(machineLayoutEnv(MACHINE_IMAGE))));
    expect(missingMachineEnv(env)).toEqual([]);
    expect(env[MACHINE_ENV.cli]).toBe(openclawCliPath());
    expect(env[MACHINE_ENV.stateDir]).toBe(provider.stateDirOf(volumeIdOf(env)));
    expect(env[MACHINE_ENV.gatewayPort]).not.toBe(env[MACHINE_ENV.controllerPort]);
    expect(controllerUrl).toBe(`http://127.0.0.1:${env[MACHINE_ENV.controllerPort]}`);
    expect(env.CONTROLLER_TOKEN).toBeUndefined();
  });

  it("answers the contract's health route without a token and its version route only with the instance's", async () => {
    const health = await fetch(`${controllerUrl}${MACHINE_ROUTES.health}`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const token = controllerToken(TEST_SECRETS.CONTROLLER_SECRET, instanceId);
    const version = await fetch(`${controllerUrl}${MACHINE_ROUTES.version}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(version.status).toBe(200);
    expect(await version.json()).toMatchObject({ controller: expect.any(String) });
    const wrong = await fetch(`${controllerUrl}${MACHINE_ROUTES.version}`, {
      headers: { authorization: `Bearer ${controllerToken(TEST_SECRETS.CONTROLLER_SECRET, 'another-instance')}` },
    });
    expect(wrong.status).toBe(401);
  });

  it(
    "lists devices through the exec fallback: the real CLI reaches this machine's gateway",
    async () => {
      const devices = await createFallback(provider).listDevices(machineId);
      expect(devices.requests).toEqual([]);
      const exec = provider.spawned.findLast((s) => s.machineId === machineId && s.kind === 'exec')!;
      const machine = provider.spawned.find((s) => s.machineId === machineId && s.kind === 'machine')!;
      expect(exec.command).toEqual([...machine.command, 'openclaw', 'devices', 'list', '--json']);
      expect(exec.env[MACHINE_ENV.gatewayPort]).toBe(machine.env[MACHINE_ENV.gatewayPort]);
      expect(exec.env[MACHINE_ENV.gatewayToken]).toBe(machine.env[MACHINE_ENV.gatewayToken]);
    },
    REAL_START_MS,
  );
});

/** The volume id a local machine's state dir belongs to (its directory under instances/). */
function volumeIdOf(env: Record<string, string>): string {
  return env[MACHINE_ENV.volume]!.split('/').at(-1)!;
}

describe('the entrypoint on its own', () => {
  const entrypoint = machineEntrypointPath();
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(openclawNodeBin(), [entrypoint, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } as unknown as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('refuses to start without the state dir, naming the variable', () => {
    const r = run([], { HOME: tmpdir() });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('OPENCLAW_STATE_DIR is not set');
  });

  it('creates the state dir and HOME on an empty volume and, started as root, gives them to the machine user', () => {
    const volume = mkdtempSync(join(tmpdir(), 'kiloclaw-volume-'));
    try {
      const uid = 65534; // nobody: any non-root id shows the drop
      const r = run(['openclaw', '--version'], {
        KILOCLAW_VOLUME: volume,
        OPENCLAW_STATE_DIR: join(volume, 'openclaw'),
        HOME: join(volume, 'home'),
        OPENCLAW_GATEWAY_PORT: '3001',
        OPENCLAW_NODE_BIN: openclawNodeBin(),
        OPENCLAW_CLI: openclawCliPath(),
        KILOCLAW_UID: String(uid),
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\d{4}\.\d+\.\d+/);
      const owner = process.getuid?.() === 0 ? uid : process.getuid?.();
      for (const dir of [volume, join(volume, 'openclaw'), join(volume, 'home')]) expect(statSync(dir).uid).toBe(owner);
    } finally {
      rmSync(volume, { recursive: true, force: true });
    }
  }, 120_000);
});
