// The controller's configuration, from its environment, validated once at start. A bad value
// stops the controller with a message that names the variable.
import { createHmac } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CONTROLLER_DEFAULT_PORT } from '../contracts/controller';
import { controllerTokenVerifier } from '../contracts/controller-token';
import { MACHINE_PORTS } from '../contracts/machine';
import { channelSchema } from '../contracts/pairing-input';
import { openclawCliPath, openclawNodeBin } from '../platform/openclaw-paths';
import { describeIssues } from '../platform/zod-issues';
import type { Env } from './exec';

const DEFAULT_GATEWAY_PORT = MACHINE_PORTS.gateway;

export interface ControllerConfig {
  host: string;
  port: number;
  /** The bearer token, when the controller was given it (CONTROLLER_TOKEN); '' on a machine, which gets only its hash. */
  token: string;
  /** sha256 (hex) of the accepted bearer token (CONTROLLER_TOKEN_SHA256, or computed from CONTROLLER_TOKEN). */
  tokenSha256?: string;
  stateDir: string;
  nodeBin: string;
  cliPath: string;
  gateway: {
    enabled: boolean;
    port: number;
    token: string;
    /** Full command line: [program, ...args]. */
    command: [program: string, ...args: string[]];
  };
  extraChannels: string[];
  fastPath: boolean;
  pollMs: number;
  /** Approve through the pairing worker (gateway protocol) with the CLI as the fallback; off: CLI only. */
  pairingWorker: boolean;
  /** development machines: `POST /_kilo/channels/test-message` records a simulated pairing request */
  devTools?: boolean;
}

export class ControllerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControllerConfigError';
  }
}

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be between 1 and 65535`)
    .max(65535, `${name} must be between 1 and 65535`);

const jsonStringArray = (name: string) =>
  z.string().transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
    } catch {
      // fall through
    }
    ctx.addIssue({ code: 'custom', message: `${name} must be a JSON array of strings` });
    return z.NEVER;
  });

const EnvSchema = z.object({
  CONTROLLER_HOST: z.string().min(1).default('0.0.0.0'),
  CONTROLLER_PORT: port('CONTROLLER_PORT').default(CONTROLLER_DEFAULT_PORT),
  CONTROLLER_TOKEN: z.string().min(16, 'CONTROLLER_TOKEN must be at least 16 characters').optional(),
  CONTROLLER_TOKEN_SHA256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'CONTROLLER_TOKEN_SHA256 must be 64 hex characters (sha256 of the bearer token)')
    .optional(),
  OPENCLAW_STATE_DIR: z.string().min(1).optional(),
  OPENCLAW_GATEWAY_PORT: port('OPENCLAW_GATEWAY_PORT').default(DEFAULT_GATEWAY_PORT),
  OPENCLAW_GATEWAY_TOKEN: z.string().min(16, 'OPENCLAW_GATEWAY_TOKEN must be at least 16 characters').optional(),
  CONTROLLER_GATEWAY: z.enum(['on', 'off'], { error: 'CONTROLLER_GATEWAY must be "on" or "off"' }).default('on'),
  CONTROLLER_GATEWAY_COMMAND: jsonStringArray('CONTROLLER_GATEWAY_COMMAND').optional(),
  CONTROLLER_GATEWAY_EXTRA_ARGS: jsonStringArray('CONTROLLER_GATEWAY_EXTRA_ARGS').optional(),
  CONTROLLER_EXTRA_CHANNELS: z.string().optional(),
  CONTROLLER_FAST_PATH: z.enum(['on', 'off'], { error: 'CONTROLLER_FAST_PATH must be "on" or "off"' }).default('on'),
  CONTROLLER_PAIRING_WORKER: z
    .enum(['on', 'off'], { error: 'CONTROLLER_PAIRING_WORKER must be "on" or "off"' })
    .default('on'),
  CONTROLLER_DEV_TOOLS: z.enum(['on', 'off'], { error: 'CONTROLLER_DEV_TOOLS must be "on" or "off"' }).default('off'),
  CONTROLLER_POLL_MS: z.coerce.number({ error: 'CONTROLLER_POLL_MS must be a number' }).int().min(0).default(1_000),
});

export function loadControllerConfig(env: Env = process.env): ControllerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ControllerConfigError(describeIssues(parsed.error));
  }
  const e = parsed.data;
  const token = e.CONTROLLER_TOKEN ?? '';
  const tokenSha256 = (e.CONTROLLER_TOKEN_SHA256 ?? (token ? controllerTokenVerifier(token) : '')).toLowerCase();
  if (!tokenSha256)
    throw new ControllerConfigError(
      'CONTROLLER_TOKEN or CONTROLLER_TOKEN_SHA256 is required (the bearer token the app derives for this instance, or its sha256)',
    );
  if (!token && !e.OPENCLAW_GATEWAY_TOKEN)
    throw new ControllerConfigError('OPENCLAW_GATEWAY_TOKEN is required when only CONTROLLER_TOKEN_SHA256 is given');
  const extraChannels = (e.CONTROLLER_EXTRA_CHANNELS ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  for (const channel of extraChannels) {
    if (!channelSchema.safeParse(channel).success) {
      throw new ControllerConfigError(
        `CONTROLLER_EXTRA_CHANNELS: "${channel.slice(0, 64)}" is not a valid channel name`,
      );
    }
  }
  const stateDir = resolve(e.OPENCLAW_STATE_DIR ?? join(env.HOME ?? homedir(), '.openclaw'));
  const nodeBin = openclawNodeBin(env);
  const cliPath = openclawCliPath(env);
  // The gateway's shared token is derived from the controller token unless given, so it is never
  // the bearer token itself (the gateway and the CLI never see CONTROLLER_TOKEN).
  const gatewayToken = e.OPENCLAW_GATEWAY_TOKEN ?? createHmac('sha256', token).update('openclaw-gateway').digest('hex');
  const command = e.CONTROLLER_GATEWAY_COMMAND ?? [
    nodeBin,
    cliPath,
    'gateway',
    '--port',
    String(e.OPENCLAW_GATEWAY_PORT),
    '--bind',
    'loopback',
    '--auth',
    'token',
    '--token',
    gatewayToken,
    ...(e.CONTROLLER_GATEWAY_EXTRA_ARGS ?? []),
  ];
  const [program, ...args] = command;
  if (program === undefined) throw new ControllerConfigError('CONTROLLER_GATEWAY_COMMAND must not be empty');
  return {
    host: e.CONTROLLER_HOST,
    port: e.CONTROLLER_PORT,
    token,
    tokenSha256,
    stateDir,
    nodeBin,
    cliPath,
    gateway: {
      enabled: e.CONTROLLER_GATEWAY === 'on',
      port: e.OPENCLAW_GATEWAY_PORT,
      token: gatewayToken,
      command: [program, ...args],
    },
    extraChannels,
    fastPath: e.CONTROLLER_FAST_PATH === 'on',
    pollMs: e.CONTROLLER_POLL_MS,
    pairingWorker: e.CONTROLLER_PAIRING_WORKER === 'on',
    devTools: e.CONTROLLER_DEV_TOOLS === 'on',
  };
}
