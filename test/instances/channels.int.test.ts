// Chat channels end to end on the embedded default: tRPC → the channel service (encrypted rows in
// PostgreSQL) → the real controller on the local provider → the real openclaw CLI and gateway.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawInstanceChannels } from '@/db/schema';
import { createLocalProvider, type LocalProvider } from '@/instances/providers/local/local-provider';
import { createLogger } from '@/platform/logger';
import { createAppDeps } from '@/server/app-deps';
import { startTestApp, type TestApp } from '../harness/app';
import { signUp, type TestUser, trpcError } from '../harness/client';
import { createTestDb, type TestDb } from '../harness/db';
import { eventually } from '../harness/eventually';
import { grantAccess, instanceOf } from '../harness/instances';
import { ensureOpenclaw, type OpenclawHome, runOpenclaw } from '../harness/openclaw';

const E2E_TIMEOUT_MS = 400_000; // real CLI runs take 7–40 s each on a busy 2-core machine
const KEYS = `k1:${randomBytes(32).toString('base64')}`;

/** A well-formed Telegram bot token nobody else uses: finding it anywhere means it leaked. */
const telegramToken = () =>
  `${1_000_000 + Math.floor(Math.random() * 8_000_000)}:AA${randomBytes(24).toString('base64url').slice(0, 33)}`;

let tdb: TestDb;
let dataDir: string;
let provider: LocalProvider;
let app: TestApp;
let user: TestUser;
const appLog: string[] = [];

const logSink = new Writable({
  write(chunk, _enc, done) {
    appLog.push(String(chunk));
    done();
  },
});

async function instance() {
  const row = (await instanceOf(tdb.db, user.id))!;
  const stateDir = provider.stateDirOf(row.volumeId!);
  const home: OpenclawHome = {
    dir: dataDir,
    stateDir,
    home: provider.homeDirOf(row.volumeId!),
    env: { HOME: provider.homeDirOf(row.volumeId!), OPENCLAW_STATE_DIR: stateDir },
    remove: () => {},
  };
  return { row, stateDir, home };
}

const openclawConfig = async () =>
  JSON.parse(readFileSync(join((await instance()).stateDir, 'openclaw.json'), 'utf8')) as {
    channels?: Record<string, { enabled?: boolean; tokenFile?: string; botToken?: string }>;
  };

const channelRows = async () =>
  tdb.db
    .select()
    .from(kiloclawInstanceChannels)
    .where(eq(kiloclawInstanceChannels.instanceId, (await instance()).row.id));

/** Every command line on this machine holding `needle` (what `ps` shows to any user). */
function commandLinesWith(needle: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (line.includes(needle)) hits.push(line.replaceAll('\0', ' '));
    } catch {
      // gone meanwhile
    }
  }
  return hits;
}

/** Runs `action` while scanning the process list every 25 ms; returns what it found. */
async function watchingProcesses<T>(needle: string, action: () => Promise<T>): Promise<{ result: T; seen: string[] }> {
  const seen: string[] = [];
  let done = false;
  const scan = (async () => {
    while (!done) {
      seen.push(...commandLinesWith(needle));
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  try {
    return { result: await action(), seen };
  } finally {
    done = true;
    await scan;
  }
}

/** openclaw's own log files (it writes them under the system temp dir). */
function openclawLogs(): string {
  const dir = join(tmpdir(), 'openclaw');
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

beforeAll(async () => {
  ensureOpenclaw();
  tdb = await createTestDb();
  dataDir = mkdtempSync(join(tmpdir(), 'kiloclaw-channels-'));
  const logger = createLogger({ level: 'debug', destination: logSink });
  provider = createLocalProvider({ dataDir, logger });
  app = await startTestApp({
    db: tdb.db,
    env: { CHANNEL_TOKEN_KEYS: KEYS },
    extend: (deps) =>
      createAppDeps({
        config: deps.config,
        db: deps.db,
        logger,
        mailer: deps.mailer,
        machineProvider: provider,
        startWaitMs: 200_000,
      }),
  });
  user = await signUp(app.url);
  await grantAccess(tdb.db, user.id);
}, E2E_TIMEOUT_MS);

afterAll(async () => {
  await provider?.close();
  await app?.close();
  await tdb?.close();
  // the controller finishes its own shutdown just after close(): retry the removal
  if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
}, 60_000);

describe('chat channels on the local provider (real controller, real openclaw)', () => {
  it('asks for an instance first', async () => {
    const err = await trpcError(
      user.trpc.kiloclaw.connectChannel.mutate({ channel: 'telegram', credentials: { token: telegramToken() } }),
    );
    expect(err.data?.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/start one first/);
  });

  it(
    'gives a stopped instance its channels when it starts',
    async () => {
      expect((await user.trpc.kiloclaw.startInstance.mutate()).status).toBe('running');
      expect((await user.trpc.kiloclaw.stopInstance.mutate()).status).toBe('stopped');

      const token = telegramToken();
      const saved = await user.trpc.kiloclaw.connectChannel.mutate({ channel: 'telegram', credentials: { token } });
      expect(saved.channels.find((c) => c.channel === 'telegram')).toMatchObject({
        connected: true,
        state: 'stopped',
        hints: { token: token.slice(-4) },
      });
      expect((await openclawConfig()).channels?.telegram).toBeUndefined();

      expect((await user.trpc.kiloclaw.startInstance.mutate()).status).toBe('running');
      const telegram = (await openclawConfig()).channels?.telegram;
      expect(telegram).toMatchObject({ enabled: true });
      expect(readFileSync(telegram!.tokenFile!, 'utf8')).toBe(token);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'connects Telegram on a running instance: openclaw lists it, its pairing list works, the token shows nowhere',
    async () => {
      const token = telegramToken();
      const { result: view, seen } = await watchingProcesses(token, () =>
        user.trpc.kiloclaw.connectChannel.mutate({ channel: 'telegram', credentials: { token } }),
      );
      expect(seen).toEqual([]);

      // openclaw's own view: configured, the token in a 0600 file it points at, not in openclaw.json
      const config = await openclawConfig();
      const tokenFile = config.channels!.telegram!.tokenFile!;
      expect(readFileSync(tokenFile, 'utf8')).toBe(token);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      expect(JSON.stringify(config)).not.toContain(token);
      const { home } = await instance();
      const listed = await runOpenclaw(home, ['channels', 'list', '--json']);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/telegram/);

      // status as openclaw reports it; offline, Telegram's own connection error is the honest answer
      const telegram = view.channels.find((c) => c.channel === 'telegram')!;
      expect(['configured', 'connecting', 'connected', 'error', 'pending']).toContain(telegram.state);
      const probed = await eventually(
        async () => {
          const list = await user.trpc.kiloclaw.listChannels.query();
          const t = list.channels.find((c) => c.channel === 'telegram')!;
          return t.state === 'error' ? t : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 2_000, what: "Telegram's own status" },
      );
      expect(probed.detail).toBeTruthy();

      // the pairing list for telegram works without any test-only extra channel
      const sent = await user.trpc.kiloclaw.sendChannelTestMessage.mutate({ channel: 'telegram' });
      const pairing = await eventually(
        async () => {
          const list = await user.trpc.kiloclaw.listChannelPairingRequests.query();
          return list.requests.some((r) => r.code === sent.code) ? list : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the test sender on the pairing list' },
      );
      expect(pairing.requests.find((r) => r.code === sent.code)).toMatchObject({
        channel: 'telegram',
        id: sent.senderId,
      });
      // (approving it is the browser test's job: test/e2e/channels.e2e.int.test.ts)

      // never in a response, a log line, the controller's output or openclaw's log files
      const responses = JSON.stringify([view, await user.trpc.kiloclaw.listChannels.query()]);
      expect(responses).not.toContain(token);
      expect(responses).toContain(token.slice(-4));
      expect(appLog.join('')).not.toContain(token);
      expect(provider.outputOf((await instance()).row.machineId!)).not.toContain(token);
      expect(openclawLogs()).not.toContain(token);
      // and encrypted at rest
      const [row] = await channelRows();
      expect(row!.credentials).not.toContain(token);
      expect(row!.credentials.startsWith('k1.')).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'replaces the token: openclaw points at the new one and the old file is gone',
    async () => {
      const before = (await openclawConfig()).channels!.telegram!.tokenFile!;
      const token = telegramToken();
      const view = await user.trpc.kiloclaw.connectChannel.mutate({ channel: 'telegram', credentials: { token } });
      expect(view.channels.find((c) => c.channel === 'telegram')!.hints).toEqual({ token: token.slice(-4) });
      const after = (await openclawConfig()).channels!.telegram!.tokenFile!;
      expect(after).not.toBe(before);
      expect(existsSync(before)).toBe(false);
      expect(readFileSync(after, 'utf8')).toBe(token);
      expect(await channelRows()).toHaveLength(1);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'two replacements racing end with openclaw holding the token the table holds',
    async () => {
      const tokens = [telegramToken(), telegramToken()];
      const results = await Promise.allSettled(
        tokens.map((token) =>
          user.trpc.kiloclaw.connectChannel.mutate({ channel: 'telegram', credentials: { token } }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const rows = await channelRows();
      expect(rows).toHaveLength(1);
      const kept = tokens.find((t) => rows[0]!.hints.token === t.slice(-4))!;
      expect(kept).toBeDefined();
      const tokenFile = (await openclawConfig()).channels!.telegram!.tokenFile!;
      expect(readFileSync(tokenFile, 'utf8')).toBe(kept);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    'the reconciler gives back a channel the machine lost',
    async () => {
      const { stateDir } = await instance();
      const [row] = await channelRows();
      // the machine loses it (a restored volume, a hand edit): openclaw.json no longer has Telegram
      const file = join(stateDir, 'openclaw.json');
      const config = JSON.parse(readFileSync(file, 'utf8')) as { channels: Record<string, unknown> };
      delete config.channels.telegram;
      writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
      expect((await openclawConfig()).channels?.telegram).toBeUndefined();

      const report = await app.deps.instances.reconcile();
      expect(report).toMatchObject({ ok: true, errorCount: 0, passes: { channels_repair: { actioned: 1 } } });
      const telegram = (await openclawConfig()).channels?.telegram;
      expect(telegram).toMatchObject({ enabled: true });
      expect(await channelRows()).toEqual([row]);
    },
    E2E_TIMEOUT_MS,
  );

  it.each([
    [{ channel: 'telegram', credentials: { token: 'not-a-token' } }, /Bot token: a Telegram bot token looks like/],
    [{ channel: 'telegram', credentials: {} }, /Telegram needs the bot token/],
    [{ channel: 'telegram', credentials: { token: '123456:short' } }, /Telegram bot token looks like/],
    [{ channel: 'slack', credentials: { botToken: 'xoxb-1234567890-abc', appToken: 'xoxp-nope-1234567890' } }, /xapp-/],
    [{ channel: 'discord', credentials: { token: 'abc' } }, /three parts/],
    [{ channel: 'whatsapp', credentials: { token: 'x' } }, /channel must be one of telegram, discord, slack/],
  ])('refuses %j with BAD_REQUEST and a clear message, changing nothing', async (input, message) => {
    const rowsBefore = JSON.stringify(await channelRows());
    const configBefore = JSON.stringify(await openclawConfig());
    const err = await trpcError(user.trpc.kiloclaw.connectChannel.mutate(input));
    expect(err.data?.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(message);
    for (const value of Object.values(input.credentials))
      if (value.length > 4) expect(err.message).not.toContain(value);
    expect(JSON.stringify(await channelRows())).toBe(rowsBefore);
    expect(JSON.stringify(await openclawConfig())).toBe(configBefore);
  });

  it('refuses to disconnect an unknown channel', async () => {
    const err = await trpcError(user.trpc.kiloclaw.disconnectChannel.mutate({ channel: 'irc' }));
    expect(err.data?.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/one of telegram, discord, slack/);
  });

  it(
    'disconnects: openclaw no longer has the channel and its token file is gone',
    async () => {
      const tokenFile = (await openclawConfig()).channels!.telegram!.tokenFile!;
      const view = await user.trpc.kiloclaw.disconnectChannel.mutate({ channel: 'telegram' });
      expect(view.channels.find((c) => c.channel === 'telegram')).toMatchObject({
        connected: false,
        state: 'not_connected',
      });
      expect((await openclawConfig()).channels?.telegram).toBeUndefined();
      expect(existsSync(tokenFile)).toBe(false);
      expect(await channelRows()).toEqual([]);
      const err = await trpcError(user.trpc.kiloclaw.sendChannelTestMessage.mutate({ channel: 'telegram' }));
      expect(err.data?.code).toBe('CONFLICT');
      expect(err.message).toMatch(/Telegram is not connected/);
    },
    E2E_TIMEOUT_MS,
  );
});
