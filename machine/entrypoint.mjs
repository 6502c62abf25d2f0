#!/usr/bin/env node
// The one entrypoint of an instance machine (src/contracts/machine.ts). The image runs it; so does
// the local machine provider, with the same variables pointing into a directory of its host.
//
//   entrypoint.mjs              start the controller (which supervises `openclaw gateway`)
//   entrypoint.mjs openclaw …   run the openclaw CLI in this machine's environment (the exec fallback)
//
// Started as root with KILOCLAW_UID set (the image), it gives the volume to that user and drops to
// it before anything else runs: a fresh Fly volume is owned by root, and nothing of openclaw's should
// run as root. Plain Node (the pinned Node 24 of the image), no dependencies.
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Never handed to the CLI: the controller's own credentials (the CLI needs only the gateway token).
const WITHHELD = ['CONTROLLER_TOKEN', 'CONTROLLER_TOKEN_SHA256'];

function fail(message) {
  process.stderr.write(`entrypoint: ${message}\n`);
  process.exit(2);
}

function required(name) {
  const value = process.env[name]?.trim();
  if (!value) fail(`${name} is not set (see src/contracts/machine.ts for the machine's environment)`);
  return value;
}

/** The user to run as when started as root, from KILOCLAW_UID (null: stay who we are). */
function runAsUid() {
  const raw = process.env.KILOCLAW_UID?.trim();
  if (!raw || process.getuid?.() !== 0) return null;
  const uid = Number(raw);
  if (!Number.isInteger(uid) || uid <= 0) fail(`KILOCLAW_UID must be a non-root user id, not "${raw}"`);
  return uid;
}

/** The state dir and HOME live on the volume, which is empty (and root's) on a machine's first boot. */
function prepareVolume() {
  const uid = runAsUid();
  const dirs = ['OPENCLAW_STATE_DIR', 'HOME'].map((name) => [name, required(name)]);
  const volume = process.env.KILOCLAW_VOLUME?.trim();
  for (const [name, dir] of dirs) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      fail(`cannot create ${name} (${dir}): ${error.message}`);
    }
  }
  if (uid === null) return;
  // the volume's root and our two directories (not recursively: their content is already the user's)
  for (const dir of [...(volume ? [volume] : []), ...dirs.map(([, dir]) => dir)]) chownSync(dir, uid, uid);
  process.setgroups?.([]);
  process.setgid(uid);
  process.setuid(uid);
}

async function startController() {
  prepareVolume();
  const bundle = process.env.KILOCLAW_CONTROLLER_BUNDLE?.trim() || join(here, 'controller.mjs');
  // The controller sees itself as the script it was started as (it starts its pairing worker as
  // `node <script> --pairing-worker`, which needs no volume setup: the worker inherits this process).
  process.argv.splice(1, process.argv.length - 1, bundle);
  // In this process: signals reach the controller directly and it owns the gateway's lifetime.
  await import(pathToFileURL(bundle).href);
}

function runOpenclaw(args) {
  prepareVolume();
  const env = { ...process.env, NO_COLOR: '1' };
  for (const name of WITHHELD) delete env[name];
  required('OPENCLAW_GATEWAY_PORT'); // without it the CLI's default port is the controller's
  const nodeBin = process.env.OPENCLAW_NODE_BIN?.trim() || process.execPath;
  const child = spawn(nodeBin, [required('OPENCLAW_CLI'), ...args], { stdio: 'inherit', env });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  child.once('error', (error) => fail(`cannot run the openclaw CLI: ${error.message}`));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

const [mode = 'controller', ...rest] = process.argv.slice(2);
if (mode === 'controller') await startController();
else if (mode === 'openclaw') runOpenclaw(rest);
else fail(`unknown mode "${mode}" (expected "controller" or "openclaw …")`);
