// MachineProvider over the Fly Machines API: one machine + one volume per instance. The machine is
// the instance image (machine/Dockerfile, named by FLY_IMAGE) with the environment and mount the
// machine contract (src/contracts/machine.ts) gives for that image.
import {
  MACHINE_GUEST,
  MACHINE_IMAGE,
  MACHINE_STOP,
  machineLayoutEnv,
  machineOpenclawCommand,
} from '@/contracts/machine';

import {
  type Machine,
  MachineNameTaken,
  type MachineProvider,
  type MachineSpec,
  ProviderError,
  type WaitableState,
} from '../provider';
import { createFlyClient, type FlyClientOptions, type FlyMachine, type FlyMachineConfig } from './fly-client';

const VOLUME_SIZE_GB = 1;

export type FlyProviderOptions = FlyClientOptions & {
  region: string;
  image: string;
  /** Where a machine's controller answers; `{machine_id}`, `{app}`, `{private_ip}` are filled in. */
  controllerUrlTemplate: string;
};

const GONE_STATES = new Set(['destroyed', 'destroying', 'replaced', 'migrated']);

/** The id of the machine that already holds the name, from a 409 body (shape unverified: accept several). */
export function existingMachineIdFrom(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  for (const key of ['machine_id', 'id', 'existing_machine_id'])
    if (typeof b[key] === 'string' && b[key]) return b[key] as string;
  const text = typeof b.error === 'string' ? b.error : '';
  return /\bmachine(?:\s+id)?\s+([0-9a-z]{8,32})\b/i.exec(text)?.[1] ?? /\b([0-9a-f]{14})\b/.exec(text)?.[1] ?? null;
}

function isNameClash(err: ProviderError): boolean {
  if (err.status !== 409) return false;
  const text = JSON.stringify(err.body ?? '').toLowerCase();
  return text.includes('already_exists') || text.includes('already exists');
}

const isNotFound = (err: unknown) => err instanceof ProviderError && err.status === 404;

export function createFlyProvider(opts: FlyProviderOptions): MachineProvider {
  const fly = createFlyClient(opts);

  const toMachine = (m: FlyMachine): Machine => ({
    id: m.id,
    name: m.name,
    state: m.state,
    volumeId: m.config?.mounts?.[0]?.volume ?? null,
    metadata: m.config?.metadata ?? {},
    controllerUrl: opts.controllerUrlTemplate
      .replaceAll('{machine_id}', m.id)
      .replaceAll('{app}', opts.appName)
      .replaceAll('{private_ip}', m.private_ip ?? '')
      .replace(/\/$/, ''),
  });

  // The configured image, always: an update is how a new FLY_IMAGE reaches an existing machine.
  const configFor = (spec: MachineSpec, base: FlyMachineConfig = {}): FlyMachineConfig => ({
    ...base,
    image: opts.image,
    guest: { cpu_kind: MACHINE_GUEST.cpuKind, cpus: MACHINE_GUEST.cpus, memory_mb: MACHINE_GUEST.memoryMb },
    stop_config: { signal: MACHINE_STOP.signal, timeout: `${MACHINE_STOP.timeoutS}s` },
    env: { ...spec.env, ...machineLayoutEnv(MACHINE_IMAGE) },
    metadata: spec.metadata,
    mounts: [{ volume: spec.volumeId, path: MACHINE_IMAGE.volumeMount }],
  });

  return {
    kind: 'fly',

    async createVolume({ name }) {
      const v = await fly.createVolume({ name, region: opts.region, size_gb: VOLUME_SIZE_GB });
      return { id: v.id, name: v.name };
    },
    async getVolume(id) {
      try {
        const v = await fly.getVolume(id);
        return v.state === 'destroyed' || v.state === 'pending_destroy' ? null : { id: v.id, name: v.name };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async deleteVolume(id) {
      try {
        await fly.deleteVolume(id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    async createMachine({ name, spec }) {
      try {
        return toMachine(await fly.createMachine({ name, region: opts.region, config: configFor(spec) }));
      } catch (err) {
        if (err instanceof ProviderError && isNameClash(err))
          throw new MachineNameTaken(name, existingMachineIdFrom(err.body));
        throw err;
      }
    },
    async getMachine(id) {
      try {
        const m = await fly.getMachine(id);
        return GONE_STATES.has(m.state) ? null : toMachine(m);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async listMachinesByMetadata(key, value) {
      const list = await fly.listMachinesByMetadata(key, value);
      // the filter is applied again here: a proxy or an older API may ignore the query parameter
      return list.filter((m) => !GONE_STATES.has(m.state) && m.config?.metadata?.[key] === value).map(toMachine);
    },
    async listMachines() {
      const all: Machine[] = [];
      const seen = new Set<string>();
      let cursor: string | null = null;
      do {
        const page = await fly.listMachinesPage(cursor);
        for (const m of page.machines) if (!GONE_STATES.has(m.state) && !seen.has(m.id)) all.push(toMachine(m));
        for (const m of page.machines) seen.add(m.id);
        // a cursor that does not move would loop forever: stop rather than trust it
        if (page.nextCursor === cursor) break;
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
    async updateMachine(id, spec) {
      // Update replaces the whole config: start from the current one so nothing else is wiped.
      const current = await fly.getMachine(id);
      return toMachine(await fly.updateMachine(id, configFor(spec, current.config)));
    },
    async startMachine(id) {
      await fly.startMachine(id);
    },
    async stopMachine(id) {
      try {
        await fly.stopMachine(id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async destroyMachine(id) {
      try {
        await fly.deleteMachine(id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async waitForState(id, state: WaitableState, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let instanceId: string | undefined;
      if (state === 'stopped') instanceId = (await fly.getMachine(id)).instance_id; // Fly requires it for `stopped`
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        if (await fly.waitOnce(id, state, left / 1000, instanceId)) return true;
      }
    },
    async exec(id, command, timeoutS) {
      // `openclaw …` runs through the image's entrypoint, which gives the CLI the machine's state dir and gateway
      const argv = command[0] === 'openclaw' ? machineOpenclawCommand(MACHINE_IMAGE, command.slice(1)) : command;
      const r = await fly.exec(id, argv, timeoutS);
      // fly-go marks exit_code omitempty: a missing exit code is 0
      return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode: r.exit_code ?? 0 };
    },
  };
}
