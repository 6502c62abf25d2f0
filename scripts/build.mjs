#!/usr/bin/env node
// `npm run build`: everything the two images copy.
//   .next/standalone, .next/static   the web app (Next.js standalone output)      → Dockerfile
//   dist/app-server.mjs               its start program (migrations, serve, cron)  → Dockerfile
//   dist/controller.mjs               the in-machine controller                    → machine/Dockerfile
// `--skip-next` builds only the two bundles (seconds; the web build takes minutes).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
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

const BUILD_LOCK = join(root, '.next-build.lock'); // the same lock `npm start` builds under (scripts/start.ts)
const BUILD_LOCK_STALE_MS = 10 * 60_000;

/** Waits for the web-build lock, so a build never writes .next while `npm start` (or a test) builds it. */
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

if (!process.argv.includes('--skip-next')) {
  const unlock = await lockWebBuild();
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      unlock();
      process.exit(130);
    });
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    timeout: NEXT_BUILD_TIMEOUT_MS,
  });
  if (r.status === 0)
    for (const dir of NOT_SHIPPED) rmSync(join(root, '.next', 'standalone', dir), { recursive: true, force: true });
  unlock();
  if (r.status !== 0) {
    process.stderr.write(`[build] next build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n`);
    process.exit(1);
  }
  say(`web app (.next/standalone) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
say(relative(root, await buildController()));
say(relative(root, await buildAppServer()));
