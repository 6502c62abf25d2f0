// The controller program a local machine runs: bundled from src/controller by the project's own
// build script, once per process, so a local machine always runs the controller of this checkout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '@/platform/openclaw-paths';

const BUILD_TIMEOUT_MS = 120_000; // esbuild bundles the controller in about a second

const built = new Map<string, string>();

/** Builds src/controller into `outfile` (once per process per path) and returns the path. */
export function ensureControllerBundle(outfile: string): string {
  const done = built.get(outfile);
  if (done) return done;
  mkdirSync(dirname(outfile), { recursive: true });
  const script = join(repoRoot(), 'scripts', 'build-controller.mjs');
  const r = spawnSync(process.execPath, [script, outfile], { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (r.status !== 0 || !existsSync(outfile)) {
    throw new Error(
      `building the controller failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).slice(0, 500)}`,
    );
  }
  built.set(outfile, outfile);
  return outfile;
}

/** The machine image's entrypoint script, which the local provider runs as each machine. */
export function machineEntrypointPath(): string {
  return join(repoRoot(), 'machine', 'entrypoint.mjs');
}
