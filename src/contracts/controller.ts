// HTTP contract of the in-machine controller (docs/controller.md §4). The controller validates what it
// receives and sends with these schemas; the app parses the controller's answers with the same ones.
import { z } from 'zod';
import { CHANNEL_KINDS, channelConnectionSchema, channelKindSchema } from './channel-input';
import { channelSchema, pairingCodeSchema, requestIdSchema } from './pairing-input';

/**
 * The controller version this code base ships and the app expects (GET /_kilo/version →
 * `controller`). Bump it with every change of behaviour the app can see.
 */
export const CONTROLLER_API_VERSION = '1.1.0';

/** Default port of the controller inside a machine. */
export const CONTROLLER_DEFAULT_PORT = 18789;

export const CONTROLLER_ROUTES = {
  health: '/_kilo/health',
  version: '/_kilo/version',
  gatewayStatus: '/_kilo/gateway/status',
  channels: '/_kilo/pairing/channels',
  devices: '/_kilo/pairing/devices',
  approveChannel: '/_kilo/pairing/channels/approve',
  approveDevice: '/_kilo/pairing/devices/approve',
  channelsConfig: '/_kilo/channels',
  channelTestMessage: '/_kilo/channels/test-message',
} as const;

/** Every controller route lives under this prefix; an unknown path under it answers 404 controller_route_unavailable. */
export const CONTROLLER_ROUTE_PREFIX = '/_kilo/';

// ---- pairing lists -------------------------------------------------------------------------

export const ChannelPairingRequest = z.object({
  code: z.string(),
  /** The sender id on that channel (e.g. a Telegram user id). */
  id: z.string(),
  channel: z.string(),
  /** openclaw's request metadata: string values only, always including `accountId`. */
  meta: z.record(z.string(), z.string()).optional(),
  createdAt: z.string().optional(),
});
export type ChannelPairingRequest = z.infer<typeof ChannelPairingRequest>;

export const DevicePairingRequest = z.object({
  requestId: z.string(),
  deviceId: z.string(),
  displayName: z.string().optional(),
  role: z.string().optional(),
  platform: z.string().optional(),
  clientId: z.string().optional(),
  /** When the device asked, epoch milliseconds. */
  ts: z.number().optional(),
});
export type DevicePairingRequest = z.infer<typeof DevicePairingRequest>;

/** ISO-8601 time of the last successful refresh of this list, or null before the first one. */
const lastUpdated = z.string().nullable();

/**
 * Set when a `?refresh=true` could not read anything new: the list is the last one read (from
 * `lastUpdated`), and `staleReason` says why. Absent from older controllers.
 */
const staleness = {
  stale: z.boolean().optional(),
  staleReason: z.string().optional(),
  /** Grows on every change of the list; `?since=<version>&wait=<s>` waits for a newer one. */
  version: z.number().int().nonnegative().optional(),
};

export const ChannelPairingListResponse = z.object({
  requests: z.array(ChannelPairingRequest),
  lastUpdated,
  ...staleness,
});
export type ChannelPairingListResponse = z.infer<typeof ChannelPairingListResponse>;

export const DevicePairingListResponse = z.object({
  requests: z.array(DevicePairingRequest),
  lastUpdated,
  ...staleness,
});
export type DevicePairingListResponse = z.infer<typeof DevicePairingListResponse>;

// ---- time budget -------------------------------------------------------------------------------
// One chain of limits, each longer than what it waits on, so a slow step is reported by the layer
// that knows why instead of surfacing as "did not answer" above it.

/** One openclaw CLI run is killed after this (list 4–6 s, approve 5–8 s; 45 s means stuck). */
export const CLI_RUN_LIMIT_MS = 45_000;
/**
 * The controller answers an approval or a `?refresh=true` within this, whatever happens: one CLI
 * run (45 s) plus its follow-up list read from the state database (ms) or a queue wait; past it,
 * 504 with `code: "timeout"` (an approval may still complete: the list will tell).
 */
export const CONTROLLER_SLOW_ROUTE_LIMIT_MS = 50_000;
/** The app waits this long for an approval or a `?refresh=true`: the controller's limit plus network slack. */
export const APP_SLOW_CALL_TIMEOUT_MS = CONTROLLER_SLOW_ROUTE_LIMIT_MS + 10_000;
/** A list long-poll (`?wait=`) is held at most this long by the controller. */
export const LIST_WAIT_MAX_S = 25;

// ---- approvals -----------------------------------------------------------------------------

export const ApproveChannelBody = z.object({ channel: channelSchema, code: pairingCodeSchema });
export type ApproveChannelBody = z.infer<typeof ApproveChannelBody>;

export const ApproveDeviceBody = z.object({ requestId: requestIdSchema });
export type ApproveDeviceBody = z.infer<typeof ApproveDeviceBody>;

/**
 * 200 on success, 400 on bad input, 500 when openclaw refused, 503 while shutting down or busy
 * (`code: "busy"`: at the bound of queued work, try again), 504 past the controller's time limit
 * (`code: "timeout"`). `path` says which way the approval went (gateway protocol or CLI).
 */
export const ApproveResponse = z.object({
  success: z.boolean(),
  message: z.string(),
  code: z.string().optional(),
  path: z.enum(['gateway', 'cli']).optional(),
});
export type ApproveResponse = z.infer<typeof ApproveResponse>;

// ---- chat channels (bot tokens) -------------------------------------------------------------

/**
 * PUT /_kilo/channels: the instance's whole desired channel list. The controller adds or updates what
 * is listed and removes the channels it manages that are not; an unchanged channel costs no CLI run.
 */
export const ApplyChannelsBody = z.object({
  channels: z
    .array(channelConnectionSchema)
    .max(CHANNEL_KINDS.length)
    .refine((list) => new Set(list.map((c) => c.channel)).size === list.length, 'each channel may appear once'),
});
export type ApplyChannelsBody = z.infer<typeof ApplyChannelsBody>;

export const ChannelAction = z.enum(['added', 'updated', 'removed', 'unchanged']);
export type ChannelAction = z.infer<typeof ChannelAction>;

/** 200 once openclaw has the list (500 {error} when a CLI run failed; the message holds no token). */
export const ApplyChannelsResponse = z.object({
  applied: z.array(z.object({ channel: z.enum(CHANNEL_KINDS), action: ChannelAction })),
  /** true when the gateway was restarted to pick up environment-backed tokens */
  restartedGateway: z.boolean(),
});
export type ApplyChannelsResponse = z.infer<typeof ApplyChannelsResponse>;

/** As openclaw reports a channel: configured (not running), connecting, connected, or its own error. */
const ChannelState = z.enum(['configured', 'connecting', 'connected', 'error']);

export const ChannelStatus = z.object({
  channel: z.enum(CHANNEL_KINDS),
  state: ChannelState,
  /** openclaw's own words for an error (or why the status is unknown), else null */
  detail: z.string().nullable(),
});
export type ChannelStatus = z.infer<typeof ChannelStatus>;

/** GET /_kilo/channels: every channel openclaw has configured, probed (`channels status --probe`). */
export const ChannelStatusResponse = z.object({
  channels: z.array(ChannelStatus),
  /** ISO-8601 time of the probe */
  probedAt: z.string(),
});
export type ChannelStatusResponse = z.infer<typeof ChannelStatusResponse>;

/** POST /_kilo/channels/test-message (development machines only): a simulated sender asks to pair. */
export const TestMessageBody = z.object({ channel: channelKindSchema });
export type TestMessageBody = z.infer<typeof TestMessageBody>;

export const TestMessageResponse = z.object({ senderId: z.string(), code: z.string(), created: z.boolean() });
export type TestMessageResponse = z.infer<typeof TestMessageResponse>;

// ---- gateway, health, version --------------------------------------------------------------

export const GatewayState = z.enum(['stopped', 'starting', 'running', 'backoff', 'stopping']);
export type GatewayState = z.infer<typeof GatewayState>;

export const GatewayExit = z.object({
  code: z.number().nullable(),
  signal: z.string().nullable(),
  /** ISO-8601 time of the exit. */
  at: z.string(),
});
export type GatewayExit = z.infer<typeof GatewayExit>;

export const GatewayStatus = z.object({
  state: GatewayState,
  pid: z.number().nullable(),
  /** Seconds the current gateway process has been up; 0 when none is running. */
  uptime: z.number(),
  /** How many times the supervisor has respawned the gateway. */
  restarts: z.number(),
  lastExit: GatewayExit.nullable(),
});
export type GatewayStatus = z.infer<typeof GatewayStatus>;

export const HealthResponse = z.object({
  status: z.literal('ok'),
  /** Seconds since the controller started. */
  uptime: z.number().optional(),
  gateway: GatewayState.optional(),
  /** How approvals go right now: the pairing worker over the gateway protocol, or the CLI. */
  approvals: z.enum(['gateway', 'cli']).optional(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

export const VersionResponse = z.object({
  controller: z.string(),
  /** `openclaw --version` as the CLI printed it, or null when it could not be read. */
  openclaw: z.string().nullable(),
  node: z.string(),
});
export type VersionResponse = z.infer<typeof VersionResponse>;

// ---- errors --------------------------------------------------------------------------------

const UnauthorizedBody = z.object({ error: z.literal('Unauthorized') });
export type UnauthorizedBody = z.infer<typeof UnauthorizedBody>;

export const ROUTE_UNAVAILABLE_CODE = 'controller_route_unavailable';
export const RouteUnavailableBody = z.object({
  code: z.literal(ROUTE_UNAVAILABLE_CODE),
  error: z.string().optional(),
});
export type RouteUnavailableBody = z.infer<typeof RouteUnavailableBody>;

/** Any other error (bad JSON, a list that could not be read, shutting down). */
export const ErrorBody = z.object({ error: z.string(), code: z.string().optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;
