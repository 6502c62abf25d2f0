// Composes the controller from its config: CLI, state-database fast path, the two pairing
// caches, the gateway supervisor and the HTTP server. Collaborators can be swapped for tests.
import { get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  ApproveChannelBody,
  ApproveDeviceBody,
  ChannelPairingRequest,
  DevicePairingRequest,
  GatewayStatus,
} from '../contracts/controller';
import { controllerTokenVerifier } from '../contracts/controller-token';
import { createApprover } from './approver';
import { createChannelManager } from './channel-manager';
import { createChannelSecrets } from './channel-secrets';
import { configuredChannels } from './channels-config';
import { type Clock, systemClock } from './clock';
import type { ControllerConfig } from './config';
import { type Env, type ExecFn, spawnExec } from './exec';
import { StateDbFastPath } from './fast-path';
import { ListWatch } from './list-watch';
import type { Logger } from './log';
import { createOpenclawCli, OpenclawCliError } from './openclaw-cli';
import { ensureOpenclawConfig, openclawConfigPath } from './openclaw-config';
import { PairingCache } from './pairing-cache';
import { createChannelSource, createDeviceSource } from './pairing-sources';
import { PairingWorkerClient } from './pairing-worker-client';
import { createControllerServer } from './server';
import { createSimulatedSender } from './simulated-sender';
import type { SqliteLoader } from './state-db';
import { GatewaySupervisor } from './supervisor';
import { CONTROLLER_VERSION } from './version';

const READY_PROBE_TIMEOUT_MS = 1_000;
const GATEWAY_START_WAIT_MS = 120_000; // ready in ~9 s idle; after this the caches start anyway

export interface ControllerOverrides {
  exec?: ExecFn;
  clock?: Clock;
  loadSqlite?: SqliteLoader;
  env?: Env;
  /** [program, ...args] of the pairing worker; without it approvals use the CLI only. */
  workerCommand?: string[];
  /** Time limit of approvals and `?refresh=true` (tests shorten it). */
  slowRouteLimitMs?: number;
}

export interface Controller {
  server: Server;
  channels: PairingCache<ChannelPairingRequest, ApproveChannelBody>;
  devices: PairingCache<DevicePairingRequest, ApproveDeviceBody>;
  supervisor: GatewaySupervisor | null;
  fastPath: StateDbFastPath;
  worker: PairingWorkerClient | null;
  /** Listens, then starts the gateway and the caches (warm-up runs in the background). */
  start(): Promise<{ port: number }>;
  /** Stops the caches, then the gateway, then the server. */
  stop(): Promise<void>;
}

export function createController(
  config: ControllerConfig,
  log: Logger,
  overrides: ControllerOverrides = {},
): Controller {
  const clock = overrides.clock ?? systemClock;
  const env = overrides.env ?? process.env;
  const startedAtMs = clock.now();
  const cli = createOpenclawCli({
    nodeBin: config.nodeBin,
    cliPath: config.cliPath,
    stateDir: config.stateDir,
    gatewayPort: config.gateway.port,
    gatewayToken: config.gateway.token,
    exec: overrides.exec ?? spawnExec,
    baseEnv: env,
  });
  const fastPath = new StateDbFastPath({
    stateDir: config.stateDir,
    enabled: config.fastPath,
    clock,
    log,
    loadSqlite: overrides.loadSqlite,
  });
  const configPath = openclawConfigPath(config.stateDir, env);
  const isInvalidInput = (error: unknown) => error instanceof OpenclawCliError && error.kind === 'invalid-input';
  const isBusy = (error: unknown) => error instanceof OpenclawCliError && error.kind === 'busy';
  const timing = { pollMs: config.pollMs };
  // Resolved at start(): the caches' first CLI reads wait for the supervised gateway.
  let openGate: () => void = () => {};
  const startGate = new Promise<void>((resolve) => {
    openGate = resolve;
  });

  const workerEnv: Env = {
    PATH: env.PATH,
    HOME: env.HOME,
    OPENCLAW_STATE_DIR: config.stateDir,
    OPENCLAW_CLI: config.cliPath,
    OPENCLAW_GATEWAY_PORT: String(config.gateway.port),
    OPENCLAW_GATEWAY_TOKEN: config.gateway.token,
    NO_COLOR: '1',
  };
  const worker =
    config.pairingWorker && overrides.workerCommand
      ? new PairingWorkerClient({ command: overrides.workerCommand, env: workerEnv, clock, log })
      : null;
  const channelSource = createChannelSource({
    cli,
    fast: fastPath,
    channels: () => configuredChannels(configPath, [...config.extraChannels, ...channelManager.envBackedChannels()]),
    clock,
    log,
  });
  const approver = createApprover({
    worker,
    cli,
    findChannelRequest: (channel, code) => {
      const same = (r: ChannelPairingRequest) => r.channel === channel && r.code.toUpperCase() === code.toUpperCase();
      try {
        if (channelSource.fastReady()) return channelSource.readFast(channel, clock.now()).find(same);
      } catch {
        // the cached list below is the next best answer
      }
      return channels.snapshot().requests.find(same);
    },
    channelApproved: (channel, accountId, code, senderId) =>
      fastPath.current()?.channelApproved(channel, accountId, code, senderId) ?? null,
    clock,
    log,
  });
  const channels = new PairingCache<ChannelPairingRequest, ApproveChannelBody>({
    source: channelSource,
    approve: (input) => approver.approveChannel(input),
    isInvalidInput,
    isBusy,
    approvedItem: (item, input) =>
      item.channel === input.channel && item.code.toUpperCase() === input.code.toUpperCase(),
    clock,
    log,
    timing,
    startGate,
  });
  const devices = new PairingCache<DevicePairingRequest, ApproveDeviceBody>({
    source: createDeviceSource({ cli, fast: fastPath, clock, log }),
    approve: (input) => approver.approveDevice(input),
    isInvalidInput,
    isBusy,
    approvedItem: (item, input) => item.requestId.toLowerCase() === input.requestId.toLowerCase(),
    clock,
    log,
    timing,
    startGate,
  });

  const gatewayEnv: Env = { ...env, OPENCLAW_STATE_DIR: config.stateDir };
  delete gatewayEnv.CONTROLLER_TOKEN;
  const [command, ...args] = config.gateway.command;
  const supervisor = config.gateway.enabled
    ? new GatewaySupervisor({
        command,
        args,
        env: gatewayEnv,
        log,
        clock,
        onStdoutLine: (line) => {
          channels.notifyLogLine(line);
          devices.notifyLogLine(line);
        },
        isReady: () => probeReady(config.gateway.port),
      })
    : null;

  const channelManager = createChannelManager({
    cli,
    secrets: createChannelSecrets(config.stateDir),
    configPath,
    ready: () => startGate,
    restartGateway: async () => {
      if (!supervisor) return;
      await supervisor.restart();
      await supervisor.whenRunning(GATEWAY_START_WAIT_MS);
    },
    simulatedSender: config.devTools
      ? createSimulatedSender({
          nodeBin: config.nodeBin,
          cliPath: config.cliPath,
          stateDir: config.stateDir,
          exec: overrides.exec ?? spawnExec,
          baseEnv: env,
        })
      : null,
    clock,
    log,
  });

  let openclawVersion: string | null = null;
  const stoppedStatus: GatewayStatus = { state: 'stopped', pid: null, uptime: 0, restarts: 0, lastExit: null };
  const server = createControllerServer({
    tokenSha256: config.tokenSha256 ?? controllerTokenVerifier(config.token),
    channels,
    devices,
    channelManager,
    gatewayStatus: () => supervisor?.status() ?? stoppedStatus,
    version: () => ({ controller: CONTROLLER_VERSION, openclaw: openclawVersion, node: process.version }),
    uptimeSeconds: () => Math.floor((clock.now() - startedAtMs) / 1000),
    log,
    watches: { channels: new ListWatch(channels, clock), devices: new ListWatch(devices, clock) },
    slowRouteLimitMs: overrides.slowRouteLimitMs,
    inFlight: { approvals: 0 },
    approvalPath: () => (worker?.status === 'connected' ? 'gateway' : 'cli'),
  });

  return {
    server,
    channels,
    devices,
    supervisor,
    fastPath,
    worker,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      log.info(
        {
          host: config.host,
          port,
          stateDir: config.stateDir,
          fastPath: config.fastPath,
        },
        'controller listening',
      );
      try {
        if (ensureOpenclawConfig(configPath))
          log.info({ path: configPath }, 'wrote a minimal openclaw.json (gateway.mode=local)');
      } catch (error) {
        log.warn({ path: configPath, error }, 'could not write openclaw.json');
      }
      supervisor?.start();
      channels.start();
      devices.start();
      // start() answers at once; the gate opens once the gateway runs (neither call rejects)
      void (supervisor ? supervisor.whenRunning(GATEWAY_START_WAIT_MS) : Promise.resolve(true)).then(async () => {
        openGate();
        worker?.start(); // connects to the gateway now that it listens; approvals use the CLI until then
        openclawVersion = await cli.version();
      });
      return { port };
    },
    async stop() {
      openGate();
      channels.stop();
      devices.stop();
      cli.close();
      await worker?.stop();
      await supervisor?.stop();
      fastPath.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      log.info('controller stopped');
    },
  };
}

/** GET /readyz on the gateway with node:http: fetch would load undici, ≈ 17 MB more RSS for good. */
function probeReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet(
      { host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: READY_PROBE_TIMEOUT_MS },
      (res) => {
        res.resume();
        resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
      },
    );
    req.on('timeout', () => req.destroy(new Error('gateway readiness probe timed out')));
    req.on('error', () => resolve(false));
  });
}
