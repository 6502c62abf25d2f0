#!/usr/bin/env node
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// Bundles the in-machine controller (src/controller/index.ts and what it imports) into one file,
// dist/controller.mjs, for the machine image. Runs on the pinned Node 24 (node:sqlite).
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the controller bundle; returns the output path. */
export async function buildController({ outfile = join(root, 'dist', 'controller.mjs') } = {}) {
  await build({
    entryPoints: [join(root, 'src', 'controller', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __kiloCreateRequire } from 'node:module'; const require = __kiloCreateRequire(import.meta.url);",
    },
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const out = await buildController({ outfile: process.argv[2] ? resolve(process.argv[2]) : undefined });
  process.stdout.write(`[build-controller] ${out} in ${Date.now() - started} ms\n`);
}
