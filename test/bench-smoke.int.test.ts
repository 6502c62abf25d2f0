// Every bench, run the way `npm run bench:<name>` runs it (tsx in a child process) at its BENCH_SMOKE
// size: it must finish and end with one JSON object carrying its keys. A bench that breaks shows here,
// not months later. Smoke figures mean nothing, so nothing is timed or compared.
// A new bench (or a new key) is one line in BENCHES.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BENCHES: Record<string, string[]> = {
  'bench:access': ['gated_rps', 'bare_rps', 'gated_p99_ms', 'ratio'],
  'bench:cron': ['seconds', 'statements', 'naive_seconds', 'ratio', 'seconds_1m', 'statements_1m', 'rss_growth_mb'],
  'bench:webhooks': ['events_per_s', 'p99_ms', 'ratio'],
  'bench:pairing': [
    'cached_p99_ms',
    'cli_p50_ms',
    'ratio',
    'storm_refreshes_channels',
    'storm_refreshes_devices',
    'freshness_s',
    'approve_channel_p50_ms',
    'approve_channel_p99_ms',
    'approve_device_p50_ms',
    'approve_cli_p50_ms',
    'approve_ratio',
    'burst_peak_rss_mb',
  ],
  'bench:pairing-e2e': ['controller_p99_ms', 'fallback_p50_ms', 'ratio'],
  'bench:idle': [
    'cli_spawns_per_hour',
    'controller_cpu_pct',
    'controller_rss_mb',
    'gateway_rss_mb',
    'baseline_cli_spawns_per_hour',
    'baseline_cpu_pct',
  ],
  'bench:reconcile': ['instances', 'provider_calls', 'seconds', 'baseline_provider_calls', 'ratio'],
};

const ROOT = path.resolve(import.meta.dirname, '..');
const RUN_LIMIT_MS = 240_000;

const scripts: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
const benchScripts = Object.entries(scripts).filter(([name]) => name.startsWith('bench:'));

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs `tsx <file>` in its own process group, so a bench that hangs is ended with all it started. */
function runBench(file: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [file], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SMOKE: '1' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const timer = setTimeout(() => {
      stderr += `\n(smoke run ended after ${RUN_LIMIT_MS} ms)`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench smoke runs', () => {
  it('has a row for every bench:* script in package.json', () => {
    expect(benchScripts.map(([name]) => name).sort()).toEqual(Object.keys(BENCHES).sort());
  });

  it.each(benchScripts)(
    '%s runs at smoke size and ends with one JSON object of its figures',
    async (name, command) => {
      const file = /^tsx (bench\/[\w-]+\.ts)$/.exec(command)?.[1];
      expect(file, `${name} should be "tsx bench/<file>.ts"`).toBeDefined();
      const run = await runBench(file!);
      expect(run.code, `${name} failed:\n${run.stderr.slice(-2_000)}`).toBe(0);

      const last = run.stdout.trimEnd().split('\n').at(-1) ?? '';
      const figures: unknown = JSON.parse(last);
      expect(figures).toBeTypeOf('object');
      expect(figures === null || Array.isArray(figures), `${name}'s last line: ${last}`).toBe(false);
      for (const key of BENCHES[name] ?? []) {
        expect(figures, `${name}'s last line: ${last}`).toHaveProperty(key);
        expect((figures as Record<string, unknown>)[key], `${name}.${key} in: ${last}`).toBeTypeOf('number');
      }
    },
    RUN_LIMIT_MS + 30_000,
  );
});
