// The pairing worker runs only while someone uses pairing: demand starts it (once the gateway is
// up), it stays while demand goes on, it is stopped cleanly after WORKER_IDLE_STOP_MS without any,
// and the next demand starts a new one. Time is a fake clock; the worker is a real process (a
// stand-in at its IPC boundary, test/controller/fixtures/fake-pairing-worker.mjs).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@/controller/log';
import { PairingWorkerClient, WORKER_IDLE_STOP_MS } from '@/controller/pairing-worker-client';
import { eventually } from '../harness/eventually';
import { FakeClock } from '../harness/fake-clock';

const FAKE = join(import.meta.dirname, 'fixtures', 'fake-pairing-worker.mjs');
const MINUTE = 60_000;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the pairing worker follows demand', () => {
  const dirs: string[] = [];
  const clients: PairingWorkerClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'kilo-worker-'));
    dirs.push(dir);
    const startsFile = join(dir, 'starts');
    writeFileSync(startsFile, '');
    const clock = new FakeClock();
    const client = new PairingWorkerClient({
      command: [process.execPath, FAKE],
      env: { PATH: process.env.PATH, FAKE_WORKER_STARTS: startsFile },
      clock,
      log: silentLogger,
    });
    clients.push(client);
    const starts = () => readFileSync(startsFile, 'utf8').split('\n').filter(Boolean).map(Number);
    const connected = () =>
      eventually(async () => (client.status === 'connected' ? true : undefined), { timeoutMs: 20_000 });
    return { clock, client, starts, connected };
  }

  it('does not run until someone uses pairing, even with the gateway up', async () => {
    const { client, clock, starts } = setup();
    client.allowStart();
    await clock.advance(60 * MINUTE);
    expect(client.running).toBe(false);
    expect(client.status).toBe('off');
    expect(starts()).toEqual([]);
  });

  it('starts on demand, stays while demand goes on, exits after the idle period, restarts on the next demand', async () => {
    const { client, clock, starts, connected } = setup();
    client.allowStart();
    client.demand();
    await connected();
    const [first] = starts();
    expect(first).toBeGreaterThan(0);
    expect(await client.call('approve-device', { requestId: 'r1' }, 5_000)).toEqual({ echo: { requestId: 'r1' } });

    // The dashboard long-polls: each list request is demand, so the worker stays.
    for (let i = 0; i < 3; i++) {
      await clock.advance(WORKER_IDLE_STOP_MS - MINUTE);
      client.demand();
    }
    expect(client.status).toBe('connected');
    expect(starts()).toEqual([first]);

    // Nobody for the idle period: stopped, the process gone, calls refused (the CLI takes them).
    await clock.advance(WORKER_IDLE_STOP_MS);
    expect(client.running).toBe(false);
    expect(client.status).toBe('off');
    await eventually(async () => (alive(first!) ? undefined : true), { timeoutMs: 10_000 });
    await expect(client.call('approve-device', { requestId: 'r2' }, 5_000)).rejects.toThrow(/off/);
    // An idle stop is not a crash: nothing restarts it while nobody asks.
    await clock.advance(60 * MINUTE);
    expect(starts()).toEqual([first]);

    client.demand();
    await connected();
    expect(starts()).toHaveLength(2);
    expect(starts()[1]).not.toBe(first);
  });

  it('waits for the gateway: demand before it is up starts the worker once it is', async () => {
    const { client, starts, connected } = setup();
    client.demand();
    expect(client.running).toBe(false);
    client.allowStart();
    await connected();
    expect(starts()).toHaveLength(1);
  });

  it('lets a caller wait for a worker that is starting', async () => {
    const { client } = setup();
    client.allowStart();
    expect(await client.whenConnected(1_000)).toBe(false); // not running: nothing to wait for
    client.demand();
    expect(client.status).toBe('starting');
    expect(await client.whenConnected(20_000)).toBe(true);
  });

  it('ends the worker on shutdown and never starts it again', async () => {
    const { client, clock, starts, connected } = setup();
    client.allowStart();
    client.demand();
    await connected();
    const [pid] = starts();
    await client.stop();
    expect(alive(pid!)).toBe(false);
    client.demand();
    await clock.advance(MINUTE);
    expect(client.running).toBe(false);
    expect(starts()).toHaveLength(1);
  });
});
