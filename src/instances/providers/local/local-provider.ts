// MachineProvider on this host (the embedded default): a "machine" is the machine image's own
// entrypoint (machine/entrypoint.mjs, which starts the controller from src/controller) running as
// a child process under the pinned Node 24, listening on 127.0.0.1, with the environment of the
// machine contract (src/contracts/machine.ts) pointing into a directory of this host; a "volume" is
// that directory under DATA_DIR/instances. exec runs the CLI through the same entrypoint.
// Machines live as long as this process.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type MachineLayout, machineCommand, machineLayoutEnv, machineOpenclawCommand } from '@/contracts/machine';
import { spawnExec } from '@/controller/exec';
import { freePort } from '@/platform/free-port';
import type { Logger } from '@/platform/logger';
import { openclawCliPath, openclawNodeBin } from '@/platform/openclaw-paths';
import {
  type ExecOutput,
  type Machine,
  MachineNameTaken,
  type MachineProvider,
  type MachineSpec,
  ProviderError,
} from '../provider';
import { ensureControllerBundle, machineEntrypointPath } from './controller-bundle';

const HEALTH_POLL_MS = 100;
const STOP_GRACE_MS = 15_000; // the controller itself gives the gateway 10 s before SIGKILL
const OUTPUT_CAP = 64 * 1024; // controller log lines kept per machine, for a failure report
const SPAWN_RECORDS_KEPT = 200; // the spawn log is for tests; a long-running host keeps only the latest

export type LocalProviderOptions = {
  dataDir: string;
  logger: Logger;
  /** Extra environment for every controller (e.g. CONTROLLER_EXTRA_CHANNELS). */
  controllerEnv?: Record<string, string>;
  env?: Record<string, string | undefined>;
};

type LocalMachine = {
  id: string;
  name: string;
  state: 'created' | 'starting' | 'started' | 'stopping' | 'stopped' | 'failed' | 'destroyed';
  spec: MachineSpec;
  port: number;
  /** Where this machine's files and ports are, set at each launch. */
  layout: MachineLayout | null;
  child: ChildProcess | null;
  exited: Promise<void> | null;
  output: string;
};

/** A process this provider started for a machine: what the contract test holds to the contract. */
type LocalSpawn = {
  machineId: string;
  kind: 'machine' | 'exec';
  command: string[];
  env: Record<string, string>;
};

export type LocalProvider = MachineProvider & {
  /** Every machine and exec process started, in order (program + args, and the full environment). */
  readonly spawned: readonly LocalSpawn[];
  /** The openclaw state directory of a volume (tests put fixtures there). */
  stateDirOf(volumeId: string): string;
  /** The HOME of a volume's openclaw processes. */
  homeDirOf(volumeId: string): string;
  /** The last output of a machine's controller and gateway (tests check it for secrets). */
  outputOf(machineId: string): string;
  /** Stops every machine this provider started. */
  close(): Promise<void>;
};

export function createLocalProvider(opts: LocalProviderOptions): LocalProvider {
  const root = join(opts.dataDir, 'instances');
  const env = opts.env ?? process.env;
  const nodeBin = openclawNodeBin(env);
  const cliPath = openclawCliPath(env);
  const machines = new Map<string, LocalMachine>();
  const volumeDir = (id: string) => join(root, id);
  const stateDirOf = (volumeId: string) => join(volumeDir(volumeId), 'openclaw');
  const homeOf = (volumeId: string) => join(volumeDir(volumeId), 'home');

  const view = (m: LocalMachine): Machine => ({
    id: m.id,
    name: m.name,
    state: m.state,
    volumeId: m.spec.volumeId,
    metadata: m.spec.metadata,
    controllerUrl: `http://127.0.0.1:${m.port}`,
  });
  const get = (id: string, operation: string) => {
    const m = machines.get(id);
    if (!m || m.state === 'destroyed')
      throw new ProviderError(operation, 404, { error: 'machine not found' }, `local ${operation}: no machine ${id}`);
    return m;
  };

  const spawned: LocalSpawn[] = [];
  const record = (entry: LocalSpawn) => {
    spawned.push(entry);
    if (spawned.length > SPAWN_RECORDS_KEPT) spawned.splice(0, spawned.length - SPAWN_RECORDS_KEPT);
  };

  /** The machine's environment: the contract's layout variables over the instance's own (controller and exec alike). */
  const machineEnv = (m: LocalMachine, layout: MachineLayout): Record<string, string> => ({
    PATH: env.PATH ?? '/usr/bin:/bin',
    NO_COLOR: '1',
    ...opts.controllerEnv,
    ...m.spec.env,
    ...machineLayoutEnv(layout),
  });

  // Controllers run in their own process groups, so they would outlive this process: when it exits,
  // ask each to stop (SIGTERM lets it stop its gateway cleanly on its own).
  const onExit = () => {
    for (const m of machines.values()) m.child?.kill('SIGTERM');
  };
  let exitHookSet = false; // set on the first launch: most providers built (tests, builds) never launch one

  async function launch(m: LocalMachine): Promise<void> {
    if (!existsSync(volumeDir(m.spec.volumeId))) {
      m.state = 'failed';
      throw new ProviderError(
        'start machine',
        400,
        { error: 'volume does not exist' },
        `local start: volume ${m.spec.volumeId} does not exist`,
      );
    }
    const bundle = ensureControllerBundle(join(root, '.controller', 'controller.mjs'));
    if (!exitHookSet) {
      process.once('exit', onExit);
      exitHookSet = true;
    }
    m.port = await freePort();
    const layout: MachineLayout = {
      volumeMount: volumeDir(m.spec.volumeId),
      stateDir: stateDirOf(m.spec.volumeId),
      home: homeOf(m.spec.volumeId),
      nodeBin,
      cli: cliPath,
      entrypoint: machineEntrypointPath(),
      controllerBundle: bundle,
      controllerHost: '127.0.0.1',
      controllerPort: m.port,
      gatewayPort: await freePort(),
    };
    m.layout = layout;
    m.state = 'starting';
    m.output = '';
    const command = machineCommand(layout);
    const childEnv = machineEnv(m, layout);
    record({ machineId: m.id, kind: 'machine', command, env: childEnv });
    const child = spawn(layout.nodeBin, command.slice(1), {
      env: childEnv as unknown as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a stop reaches the gateway and the CLI calls too
    });
    m.child = child;
    const keep = (chunk: Buffer) => {
      m.output = (m.output + chunk.toString('utf8')).slice(-OUTPUT_CAP);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    m.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (m.child === child) {
          m.child = null;
          if (m.state !== 'destroyed') m.state = m.state === 'stopping' || code === 0 ? 'stopped' : 'failed';
          if (m.state === 'failed')
            opts.logger.warn(
              { machineId: m.id, code, signal, output: m.output.slice(-2000) },
              'local controller exited',
            );
        }
        resolve();
      });
    });
    void watchHealth(m, child); // runs until the machine leaves `starting`; never rejects
  }

  async function watchHealth(m: LocalMachine, child: ChildProcess) {
    while (m.child === child && m.state === 'starting') {
      try {
        const res = await fetch(`http://127.0.0.1:${m.port}/_kilo/health`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok && m.child === child && m.state === 'starting') m.state = 'started';
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }

  async function halt(m: LocalMachine): Promise<void> {
    const child = m.child;
    const pid = child?.pid;
    if (!child || pid === undefined) return;
    m.state = 'stopping';
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, STOP_GRACE_MS);
    await m.exited;
    clearTimeout(timer);
  }

  return {
    kind: 'local',
    spawned,
    stateDirOf,
    homeDirOf: homeOf,
    outputOf: (machineId) => machines.get(machineId)?.output ?? '',

    async createVolume({ name }) {
      const id = `${name}_${randomBytes(4).toString('hex')}`;
      // empty, as a new Fly volume is: the entrypoint and the controller fill it on first boot
      mkdirSync(volumeDir(id), { recursive: true });
      return { id, name };
    },
    async getVolume(id) {
      return existsSync(volumeDir(id)) ? { id, name: id.replace(/_[0-9a-f]{8}$/, '') } : null;
    },
    async deleteVolume(id) {
      const holder = [...machines.values()].find((m) => m.spec.volumeId === id && m.state !== 'destroyed');
      if (holder)
        throw new ProviderError(
          'delete volume',
          412,
          { error: `attached to ${holder.id}` },
          `local delete volume: attached to ${holder.id}`,
        );
      rmSync(volumeDir(id), { recursive: true, force: true });
    },

    async createMachine({ name, spec }) {
      const taken = [...machines.values()].find((m) => m.name === name && m.state !== 'destroyed');
      if (taken) throw new MachineNameTaken(name, taken.id);
      const m: LocalMachine = {
        id: randomBytes(7).toString('hex'),
        name,
        state: 'created',
        spec,
        port: 0,
        layout: null,
        child: null,
        exited: null,
        output: '',
      };
      machines.set(m.id, m);
      await launch(m);
      return view(m);
    },
    async getMachine(id) {
      const m = machines.get(id);
      return m && m.state !== 'destroyed' ? view(m) : null;
    },
    async listMachinesByMetadata(key, value) {
      return [...machines.values()].filter((m) => m.state !== 'destroyed' && m.spec.metadata[key] === value).map(view);
    },
    async listMachines() {
      return [...machines.values()].filter((m) => m.state !== 'destroyed').map(view);
    },
    async updateMachine(id, spec) {
      const m = get(id, 'update machine');
      await halt(m);
      m.spec = spec;
      await launch(m);
      return view(m);
    },
    async startMachine(id) {
      const m = get(id, 'start machine');
      if (m.state === 'started' || m.state === 'starting') return;
      await launch(m);
    },
    async stopMachine(id) {
      const m = machines.get(id);
      if (m && m.state !== 'destroyed') await halt(m);
    },
    async destroyMachine(id) {
      const m = machines.get(id);
      if (!m || m.state === 'destroyed') return;
      await halt(m);
      m.state = 'destroyed';
    },
    async waitForState(id, state, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = machines.get(id);
        const current = m?.state ?? 'destroyed';
        if (current === state) return true;
        if (state === 'started' && (current === 'failed' || current === 'destroyed')) {
          throw new ProviderError(
            'wait machine',
            412,
            { error: current },
            `local machine ${id} is ${current}: ${m?.output.slice(-500) ?? ''}`,
          );
        }
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
      }
    },
    async exec(id, command, timeoutS): Promise<ExecOutput> {
      const m = get(id, 'exec');
      if (m.state !== 'started')
        throw new ProviderError(
          'exec',
          412,
          { error: `machine is ${m.state}` },
          `local exec: machine ${id} is ${m.state}`,
        );
      if (command[0] !== 'openclaw' || !m.layout)
        return { stdout: '', stderr: `${command[0]}: not found\n`, exitCode: 127 };
      const argv = machineOpenclawCommand(m.layout, command.slice(1));
      const execEnv = machineEnv(m, m.layout);
      record({ machineId: m.id, kind: 'exec', command: argv, env: execEnv });
      const r = await spawnExec({
        file: m.layout.nodeBin,
        args: argv.slice(1),
        env: execEnv,
        timeoutMs: timeoutS * 1000,
      });
      if (r.spawnError) throw new ProviderError('exec', null, null, `local exec: ${r.spawnError}`);
      if (r.timedOut) throw new ProviderError('exec', 408, null, `local exec: no result within ${timeoutS} s`);
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code ?? 1 };
    },
    async close() {
      process.removeListener('exit', onExit);
      await Promise.all([...machines.values()].map((m) => halt(m)));
    },
  };
}
