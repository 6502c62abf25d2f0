// The controller's HTTP API (docs/controller.md §4) as plain functions from a request to a status and a
// body: bearer auth in constant time, input parsed with the shared contract schemas before
// anything else happens, one cache call per route. server.ts does the node:http part.
import type { z } from 'zod';
import {
  ApplyChannelsBody,
  ApproveChannelBody,
  ApproveDeviceBody,
  type ApproveResponse,
  type ChannelPairingRequest,
  CONTROLLER_ROUTE_PREFIX,
  CONTROLLER_ROUTES,
  CONTROLLER_SLOW_ROUTE_LIMIT_MS,
  type DevicePairingRequest,
  type GatewayStatus,
  type HealthResponse,
  LIST_WAIT_MAX_S,
  ROUTE_UNAVAILABLE_CODE,
  TestMessageBody,
  type UnauthorizedBody,
  type VersionResponse,
} from '../contracts/controller';
import { tokenMatchesVerifier } from '../contracts/controller-token';
import { checkInput } from '../contracts/pairing-input';
import { ChannelApplyError, type ChannelManager } from './channel-manager';
import type { ListWatch } from './list-watch';
import type { Logger } from './log';
import { OpenclawCliError } from './openclaw-cli';
import type { ApproveOutcome, PairingCache } from './pairing-cache';

/**
 * Approvals in progress at once, either path. The gateway path costs milliseconds each; the CLI
 * path has its own cap and queue (openclaw-cli.ts). Past this, 503 "busy, try again".
 */
const MAX_APPROVALS_IN_FLIGHT = 20;

export interface RoutesDeps {
  /** sha256 (hex) of the bearer token this controller accepts. */
  tokenSha256: string;
  channels: PairingCache<ChannelPairingRequest, ApproveChannelBody>;
  devices: PairingCache<DevicePairingRequest, ApproveDeviceBody>;
  channelManager: Pick<ChannelManager, 'apply' | 'status' | 'testMessage'>;
  gatewayStatus: () => GatewayStatus;
  version: () => VersionResponse;
  uptimeSeconds: () => number;
  log: Logger;
  /** Versions of the two lists for long-polls; without them `since`/`wait` are ignored. */
  watches?: { channels: ListWatch; devices: ListWatch };
  /** Time limit of approvals and `?refresh=true` (CONTROLLER_SLOW_ROUTE_LIMIT_MS; tests shorten it). */
  slowRouteLimitMs?: number;
  /** Which way approvals go now (the pairing worker is connected: 'gateway'). */
  approvalPath?: () => 'gateway' | 'cli';
  /** Someone uses pairing (a list read or an approval): the pairing worker is wanted. */
  onPairingDemand?: () => void;
  /** Shared counter of approvals in progress (one per controller). */
  inFlight?: { approvals: number };
}

export interface RouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** Parsed JSON body; throws BodyError when it is not JSON or too large. */
  readBody: () => Promise<unknown>;
}

export interface RouteResponse {
  status: number;
  body: unknown;
  /** `body` already serialised (the cached lists); sent as is. */
  json?: string;
}

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

type Handler = (deps: RoutesDeps, req: RouteRequest) => Promise<RouteResponse> | RouteResponse;

const json = (status: number, body: unknown): RouteResponse => ({ status, body });

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  [CONTROLLER_ROUTES.version]: { GET: (deps) => json(200, deps.version()) },
  [CONTROLLER_ROUTES.gatewayStatus]: { GET: (deps) => json(200, deps.gatewayStatus()) },
  [CONTROLLER_ROUTES.channels]: { GET: (deps, req) => listRoute(deps, deps.channels, deps.watches?.channels, req) },
  [CONTROLLER_ROUTES.devices]: { GET: (deps, req) => listRoute(deps, deps.devices, deps.watches?.devices, req) },
  [CONTROLLER_ROUTES.approveChannel]: {
    POST: (deps, req) =>
      approveRoute(
        deps,
        req,
        (body) => checkInput(ApproveChannelBody, body),
        (input) => deps.channels.approve(input),
      ),
  },
  [CONTROLLER_ROUTES.channelsConfig]: {
    GET: (deps) => channelRoute(() => deps.channelManager.status()),
    PUT: (deps, req) =>
      withBody(req, ApplyChannelsBody, (input) => channelRoute(() => deps.channelManager.apply(input.channels))),
  },
  [CONTROLLER_ROUTES.channelTestMessage]: {
    POST: (deps, req) =>
      withBody(req, TestMessageBody, (input) => channelRoute(() => deps.channelManager.testMessage(input.channel))),
  },
  [CONTROLLER_ROUTES.approveDevice]: {
    POST: (deps, req) =>
      approveRoute(
        deps,
        req,
        (body) => checkInput(ApproveDeviceBody, body),
        (input) => deps.devices.approve(input),
      ),
  },
};

export async function routeRequest(deps: RoutesDeps, req: RouteRequest): Promise<RouteResponse> {
  // Health first: public, and never waits on anything (the CLI may be hung).
  if (req.path === CONTROLLER_ROUTES.health && req.method === 'GET') {
    const body: HealthResponse = {
      status: 'ok',
      uptime: deps.uptimeSeconds(),
      gateway: deps.gatewayStatus().state,
      approvals: deps.approvalPath?.() ?? 'cli',
    };
    return json(200, body);
  }
  if (!req.path.startsWith(CONTROLLER_ROUTE_PREFIX)) return json(404, { error: 'Not Found' });
  if (!authorized(req.authorization, deps.tokenSha256))
    return json(401, { error: 'Unauthorized' } satisfies UnauthorizedBody);

  const route = ROUTES[req.path];
  if (!route)
    return json(404, { code: ROUTE_UNAVAILABLE_CODE, error: `No controller route ${req.method} ${req.path}` });
  const handler = route[req.method];
  if (!handler) return json(405, { error: `Method ${req.method} not allowed on ${req.path}` });
  return handler(deps, req);
}

function authorized(header: string | undefined, tokenSha256: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  return given ? tokenMatchesVerifier(given, tokenSha256) : false;
}

type Deadline = { timedOut: true };
/** `work`, or `{timedOut}` once `ms` passed (the work itself goes on; its result is then not awaited). */
async function withinLimit<T>(work: Promise<T>, ms: number): Promise<T | Deadline> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<Deadline>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}
const isDeadline = (value: unknown): value is Deadline =>
  typeof value === 'object' && value !== null && (value as Deadline).timedOut === true;

async function listRoute<T, A>(
  deps: RoutesDeps,
  cache: PairingCache<T, A>,
  watch: ListWatch | undefined,
  req: RouteRequest,
): Promise<RouteResponse> {
  deps.onPairingDemand?.();
  const refresh = req.query.get('refresh');
  if (refresh !== null && refresh !== 'true' && refresh !== 'false') {
    return json(400, { error: 'refresh must be "true" or "false"' });
  }
  const since = req.query.get('since');
  const wait = req.query.get('wait');
  if ((since !== null && !/^\d{1,12}$/.test(since)) || (wait !== null && !/^\d{1,3}$/.test(wait))) {
    return json(400, { error: 'since and wait must be whole numbers' });
  }
  if (refresh === 'true') {
    const limitMs = deps.slowRouteLimitMs ?? CONTROLLER_SLOW_ROUTE_LIMIT_MS;
    const outcome = await withinLimit(cache.refresh({ reason: 'request', fresh: true }), limitMs);
    // Nothing new could be read: say so, with the last list read (lastUpdated says when).
    const staleReason = isDeadline(outcome)
      ? `openclaw did not answer within ${Math.round(limitMs / 1000)} s`
      : outcome.ok
        ? null
        : cache.isStopped
          ? 'the controller is shutting down'
          : `openclaw could not be read: ${outcome.error ?? 'see the controller log'}`;
    if (staleReason) {
      deps.log.warn({ kind: cache.kind, reason: staleReason }, 'pairing refresh answered stale');
      return json(200, { ...cache.snapshot(), stale: true, staleReason, version: watch?.current() });
    }
  } else if (watch && since !== null && wait !== null) {
    const waitMs = Math.min(Number(wait), LIST_WAIT_MAX_S) * 1000;
    await watch.waitForChange(Number(since), waitMs);
  }
  const cached = cache.snapshotJson();
  if (!watch) return { status: 200, body: null, json: cached };
  // The cached JSON object with the version added: no re-serialisation on the hot path.
  return { status: 200, body: null, json: `${cached.slice(0, -1)},"version":${watch.current()}}` };
}

async function approveRoute<A>(
  deps: RoutesDeps,
  req: RouteRequest,
  check: (body: unknown) => { ok: true; value: A } | { ok: false; message: string },
  approve: (input: A) => Promise<ApproveOutcome>,
): Promise<RouteResponse> {
  let body: unknown;
  try {
    body = await req.readBody();
  } catch (error) {
    const status = error instanceof BodyError ? error.status : 400;
    return json(status, reply(false, error instanceof Error ? error.message : 'unreadable body'));
  }
  const input = check(body);
  if (!input.ok) return json(400, reply(false, input.message));
  deps.onPairingDemand?.(); // before the approval: it may wait briefly for the worker this starts
  const inFlight = deps.inFlight ?? { approvals: 0 };
  if (inFlight.approvals >= MAX_APPROVALS_IN_FLIGHT) {
    return json(503, {
      ...reply(false, `The instance is busy with ${inFlight.approvals} approvals; try again in a few seconds.`),
      code: 'busy',
    });
  }
  inFlight.approvals += 1;
  const limitMs = deps.slowRouteLimitMs ?? CONTROLLER_SLOW_ROUTE_LIMIT_MS;
  const work = approve(input.value).finally(() => {
    inFlight.approvals -= 1;
  });
  const outcome = await withinLimit(work, limitMs);
  if (isDeadline(outcome)) {
    const text = `The approval did not finish within ${Math.round(limitMs / 1000)} s; it may still complete — the list will show it.`;
    return json(504, { ...reply(false, text), code: 'timeout' });
  }
  if (outcome.ok)
    return json(200, { ...reply(true, outcome.message), ...(outcome.path ? { path: outcome.path } : {}) });
  if (outcome.reason === 'busy') return json(503, { ...reply(false, outcome.message), code: 'busy' });
  const status = outcome.reason === 'invalid' ? 400 : outcome.reason === 'shutting-down' ? 503 : 500;
  return json(status, reply(false, outcome.message));
}

/** Parses the JSON body with a contract schema: 400 with a readable message (never the value) when it does not fit. */
async function withBody<S extends Parameters<typeof checkInput>[0]>(
  req: RouteRequest,
  schema: S,
  handle: (input: z.infer<S>) => Promise<RouteResponse>,
): Promise<RouteResponse> {
  let body: unknown;
  try {
    body = await req.readBody();
  } catch (error) {
    return json(error instanceof BodyError ? error.status : 400, { error: (error as Error).message });
  }
  const input = checkInput(schema, body);
  return input.ok ? handle(input.value) : json(400, { error: input.message });
}

/** Channel answers: 200 with the result, else the error's status and its (token-free) message. */
async function channelRoute(run: () => Promise<unknown>): Promise<RouteResponse> {
  try {
    return json(200, await run());
  } catch (error) {
    if (error instanceof ChannelApplyError) return json(error.status, { error: error.message });
    if (error instanceof OpenclawCliError) return json(500, { error: error.message });
    throw error;
  }
}

const reply = (success: boolean, message: string): ApproveResponse => ({ success, message });
