#!/usr/bin/env node
// `npm run build`: everything the two images copy.
//   .next/standalone, .next/static   the web app (Next.js standalone output)      → Dockerfile
//   dist/app-server.mjs               its start program (migrations, serve, cron)  → Dockerfile
//   dist/controller.mjs               the in-machine controller                    → machine/Dockerfile
// `--if-stale` skips the web build when it is newer than its sources (what `npm start` runs);
// `--skip-next` builds only the two bundles (seconds; the web build takes minutes).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildController } from './build-controller.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NEXT_BUILD_TIMEOUT_MS = 20 * 60_000; // ~1–3 min here; far longer means it hung
// Next's tracer follows the local machine provider's file lookups into the checkout (the openclaw
// runtime, sources, tests) and copies them into the standalone tree; a production server runs its
// instances on Fly and needs none of them. (outputFileTracingExcludes cannot say this: its patterns
// match anywhere in a path, and `src/**` also drops node_modules/postgres/src.)
const NOT_SHIPPED = ['tools', 'src', 'test', 'bench', 'scripts', 'machine'];
const WEB_SOURCES = ['src', 'next.config.js', 'package-lock.json', 'tsconfig.json', 'tsconfig.next.json'];
// One web build at a time: two `npm start`s, or a start and a test's build, never write .next at once.
const BUILD_LOCK = join(root, '.next-build.lock');
const BUILD_LOCK_STALE_MS = 10 * 60_000; // a build never takes this long here; an older lock was left by a crash

/** The app image's start program, with its dependencies inlined (the standalone tree lacks the migrator). */
export async function buildAppServer({ outfile = join(root, 'dist', 'app-server.mjs') } = {}) {
  await build({
    entryPoints: [join(root, 'scripts', 'app-server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __kiloCreateRequire } from 'node:module'; const require = __kiloCreateRequire(import.meta.url);",
    },
  });
  return outfile;
}

const say = (line) => process.stdout.write(`[build] ${line}\n`);

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(p)) newest = Math.max(newest, newestMtime(join(p, e)));
  return newest;
}

// next.config.js writes the security headers into the build, HSTS only for APP_ENV=production: a build
// made for the other mode is stale. Builds from before this stamp were development builds.
const BUILD_MODE_FILE = join(root, '.next', 'kiloclaw-build-mode');
const buildMode = () => (process.env.APP_ENV === 'production' ? 'production' : 'development');
const builtMode = () => (existsSync(BUILD_MODE_FILE) ? readFileSync(BUILD_MODE_FILE, 'utf8').trim() : 'development');

/** True when the web build is newer than every source it is built from, and made for this APP_ENV. */
function webBuildIsFresh() {
  const buildId = join(root, '.next', 'BUILD_ID');
  if (!existsSync(buildId) || !existsSync(join(root, '.next', 'standalone', 'server.js'))) return false;
  if (builtMode() !== buildMode()) return false;
  return statSync(buildId).mtimeMs >= Math.max(...WEB_SOURCES.map((p) => newestMtime(join(root, p))));
}

async function lockWebBuild() {
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      return () => rmSync(BUILD_LOCK, { recursive: true, force: true });
    } catch {
      const held = statSync(BUILD_LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > BUILD_LOCK_STALE_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function buildWebApp({ ifStale }) {
  if (ifStale && webBuildIsFresh()) return say('web app up to date');
  const unlock = await lockWebBuild();
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      unlock();
      process.exit(130);
    });
  try {
    if (ifStale && webBuildIsFresh()) return say('web app built by another process meanwhile');
    say('building the web app…');
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      timeout: NEXT_BUILD_TIMEOUT_MS,
    });
    if (r.status !== 0) {
      process.stderr.write(`[build] next build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n`);
      process.exitCode = 1;
      return;
    }
    for (const dir of NOT_SHIPPED) rmSync(join(root, '.next', 'standalone', dir), { recursive: true, force: true });
    writeFileSync(BUILD_MODE_FILE, buildMode());
    say(`web app (.next/standalone) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    unlock();
  }
}

if (!process.argv.includes('--skip-next')) await buildWebApp({ ifStale: process.argv.includes('--if-stale') });
if (!process.exitCode) {
  say(relative(root, await buildController()));
  say(relative(root, await buildAppServer()));
}
