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
  type DevicePairingRequest,
  type GatewayStatus,
  type HealthResponse,
  ROUTE_UNAVAILABLE_CODE,
  TestMessageBody,
  type VersionResponse,
} from '../contracts/controller';
import { tokensEqual } from '../contracts/controller-token';
import { checkInput } from '../contracts/pairing-input';
import { ChannelApplyError, type ChannelManager } from './channel-manager';
import type { Logger } from './log';
import { OpenclawCliError } from './openclaw-cli';
import type { ApproveOutcome, PairingCache } from './pairing-cache';

export interface RoutesDeps {
  token: string;
  channels: PairingCache<ChannelPairingRequest, ApproveChannelBody>;
  devices: PairingCache<DevicePairingRequest, ApproveDeviceBody>;
  channelManager: Pick<ChannelManager, 'apply' | 'status' | 'testMessage'>;
  gatewayStatus: () => GatewayStatus;
  version: () => VersionResponse;
  uptimeSeconds: () => number;
  log: Logger;
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
  [CONTROLLER_ROUTES.channels]: { GET: (deps, req) => listRoute(deps.channels, req) },
  [CONTROLLER_ROUTES.devices]: { GET: (deps, req) => listRoute(deps.devices, req) },
  [CONTROLLER_ROUTES.approveChannel]: {
    POST: (deps, req) =>
      approveRoute(
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
        req,
        (body) => checkInput(ApproveDeviceBody, body),
        (input) => deps.devices.approve(input),
      ),
  },
};

export async function routeRequest(deps: RoutesDeps, req: RouteRequest): Promise<RouteResponse> {
  // Health first: public, and never waits on anything (the CLI may be hung).
  if (req.path === CONTROLLER_ROUTES.health && req.method === 'GET') {
    const body: HealthResponse = { status: 'ok', uptime: deps.uptimeSeconds(), gateway: deps.gatewayStatus().state };
    return json(200, body);
  }
  if (!req.path.startsWith(CONTROLLER_ROUTE_PREFIX)) return json(404, { error: 'Not Found' });
  if (!authorized(req.authorization, deps.token)) return json(401, { error: 'Unauthorized' });

  const route = ROUTES[req.path];
  if (!route)
    return json(404, { code: ROUTE_UNAVAILABLE_CODE, error: `No controller route ${req.method} ${req.path}` });
  const handler = route[req.method];
  if (!handler) return json(405, { error: `Method ${req.method} not allowed on ${req.path}` });
  return handler(deps, req);
}

function authorized(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  return given ? tokensEqual(given, token) : false;
}

async function listRoute<T, A>(cache: PairingCache<T, A>, req: RouteRequest): Promise<RouteResponse> {
  const refresh = req.query.get('refresh');
  if (refresh !== null && refresh !== 'true' && refresh !== 'false') {
    return json(400, { error: 'refresh must be "true" or "false"' });
  }
  if (refresh === 'true') await cache.refresh({ reason: 'request', fresh: true });
  return { status: 200, body: null, json: cache.snapshotJson() };
}

async function approveRoute<A>(
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
  const outcome = await approve(input.value);
  if (outcome.ok) return json(200, reply(true, outcome.message));
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
