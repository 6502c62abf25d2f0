// Pairing requests of the caller's own instance (docs/pairing.md §5): controller first; the exec
// fallback only when the controller does not know the route (an older controller), never on a 401
// and never silently on a 5xx. Fallback lists are cached in PostgreSQL; every successful approve,
// by either path, invalidates the instance's cached lists.

import type { z } from 'zod';
import {
  ApproveChannelBody,
  ApproveDeviceBody,
  ApproveResponse,
  ChannelPairingListResponse,
  CONTROLLER_ROUTES,
  DevicePairingListResponse,
  LIST_WAIT_MAX_S,
  ROUTE_UNAVAILABLE_CODE,
} from '@/contracts/controller';
import { checkInput } from '@/contracts/pairing-input';
import type { PairingKind } from '@/db/schema';
import { errorMessage } from '@/platform/error-message';
import {
  CONTROLLER_REFRESH_TIMEOUT_MS,
  CONTROLLER_TIMEOUT_MS,
  type ControllerAnswer,
  type ControllerTarget,
  ControllerUnreachable,
  callController,
} from '../controller-client';
import { BadPairingInput, InstanceUnavailable } from '../errors';
import { findByUser } from '../instance-store';
import { controllerTarget, type InstanceDeps } from '../lifecycle/deps';
import { createFallback, FallbackFailed } from './fallback';
import { invalidateFallbackCache, readFallbackCache, writeFallbackCache } from './fallback-cache';

export type PairingDeps = Pick<
  InstanceDeps,
  'db' | 'clock' | 'logger' | 'provider' | 'controllerSecret' | 'controllerSecretPrevious'
> & { fetch?: typeof fetch };

export type PairingSource = 'controller' | 'fallback' | 'not_running';
type ChannelList = ChannelPairingListResponse & { source: PairingSource; cached: boolean };
type DeviceList = DevicePairingListResponse & { source: PairingSource; cached: boolean };

const NOT_RUNNING_MESSAGE = 'Instance is not running';

/** A list call: `refresh` re-reads openclaw; `since` + `wait` long-poll for a version newer than `since`. */
export type ListOptions = { refresh?: boolean; since?: number; wait?: number };

type Running = { instanceId: string; machineId: string; target: ControllerTarget };

const isUnknownRoute = (a: ControllerAnswer) =>
  a.status === 404 ||
  (typeof a.body === 'object' && a.body !== null && (a.body as { code?: unknown }).code === ROUTE_UNAVAILABLE_CODE);

export function createPairingService(deps: PairingDeps) {
  const fallback = createFallback(deps.provider);

  async function running(userId: string): Promise<Running | null> {
    const row = await findByUser(deps.db, userId);
    if (row?.status !== 'running' || !row.machineId || !row.controllerUrl) return null;
    return {
      instanceId: row.id,
      machineId: row.machineId,
      target: controllerTarget(deps, row.controllerUrl, row.id),
    };
  }

  /** The controller's answer, or 'unknown-route'; anything else unusable becomes a named error. */
  async function ask(inst: Running, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number) {
    let answer: ControllerAnswer;
    try {
      answer = await callController(inst.target, method, path, { body, timeoutMs, fetch: deps.fetch });
    } catch (err) {
      if (!(err instanceof ControllerUnreachable)) throw err;
      deps.logger.warn({ instanceId: inst.instanceId, path, reason: err.reason }, 'controller unreachable');
      throw InstanceUnavailable('Your instance did not answer — try again in a minute.', 'controller_unreachable');
    }
    if (isUnknownRoute(answer)) return 'unknown-route' as const;
    if (answer.status === 401) {
      // a token mismatch is a configuration fault: falling back would hide it
      deps.logger.error({ instanceId: inst.instanceId, path }, 'controller rejected our token');
      throw InstanceUnavailable(
        'Your instance refused the request — contact support if this persists.',
        'controller_unauthorized',
      );
    }
    return answer;
  }

  const unexpected = (inst: Running, path: string, answer: ControllerAnswer) => {
    deps.logger.error({ instanceId: inst.instanceId, path, status: answer.status }, 'controller answered unexpectedly');
    return InstanceUnavailable(
      `Your instance could not answer (HTTP ${answer.status}) — try again in a minute.`,
      'controller_error',
    );
  };

  async function list<S extends typeof ChannelPairingListResponse | typeof DevicePairingListResponse>(
    userId: string,
    kind: PairingKind,
    schema: S,
    opts: ListOptions,
  ): Promise<z.infer<S> & { source: PairingSource; cached: boolean }> {
    const inst = await running(userId);
    if (!inst) return { requests: [], lastUpdated: null, source: 'not_running', cached: false } as never;
    const refresh = opts.refresh ?? false;
    const wait = !refresh && opts.since !== undefined ? Math.min(opts.wait ?? 0, LIST_WAIT_MAX_S) : 0;
    const query = refresh ? '?refresh=true' : wait > 0 ? `?since=${opts.since}&wait=${wait}` : '';
    const path = `${CONTROLLER_ROUTES[kind]}${query}`;
    const timeoutMs = refresh ? CONTROLLER_REFRESH_TIMEOUT_MS : CONTROLLER_TIMEOUT_MS + wait * 1000;
    const answer = await ask(inst, 'GET', path, undefined, timeoutMs);
    if (answer !== 'unknown-route') {
      const parsed = answer.status === 200 ? schema.safeParse(answer.body) : null;
      if (!parsed?.success) throw unexpected(inst, path, answer);
      return { ...(parsed.data as z.infer<S>), source: 'controller', cached: false };
    }

    if (!refresh) {
      const hit = schema.safeParse(await readFallbackCache(deps.db, inst.instanceId, kind, deps.clock.now()));
      if (hit.success) return { ...(hit.data as z.infer<S>), source: 'fallback', cached: true };
    }
    const startedAt = deps.clock.now();
    let fresh: z.infer<S>;
    try {
      fresh = (
        kind === 'channels' ? await fallback.listChannels(inst.machineId) : await fallback.listDevices(inst.machineId)
      ) as z.infer<S>;
    } catch (err) {
      // never cached: the next call tries again
      deps.logger.warn({ instanceId: inst.instanceId, kind, err: errorMessage(err) }, 'exec fallback list failed');
      if (err instanceof FallbackFailed)
        throw InstanceUnavailable(
          'Could not read the pairing requests of your instance — try again in a minute.',
          'fallback_failed',
        );
      throw InstanceUnavailable('Your instance did not answer — try again in a minute.', 'fallback_failed');
    }
    await writeFallbackCache(deps.db, inst.instanceId, kind, fresh, startedAt);
    return { ...fresh, source: 'fallback', cached: false };
  }

  async function approve(
    userId: string,
    path: string,
    body: unknown,
    viaExec: (machineId: string) => Promise<ApproveResponse>,
  ): Promise<ApproveResponse> {
    const inst = await running(userId);
    if (!inst) return { success: false, message: NOT_RUNNING_MESSAGE };
    const answer = await ask(inst, 'POST', path, body, CONTROLLER_REFRESH_TIMEOUT_MS);
    let result: ApproveResponse;
    if (answer === 'unknown-route') {
      try {
        result = await viaExec(inst.machineId);
      } catch (err) {
        deps.logger.warn({ instanceId: inst.instanceId, err: errorMessage(err) }, 'exec fallback approve failed');
        throw InstanceUnavailable('Your instance did not answer — try again in a minute.', 'fallback_failed');
      }
    } else {
      // 200 approved; 400/500 carry {success:false, message} (bad input, openclaw refused); 503 "busy"
      // and 504 "timeout" are the controller's own bounds, told as they are; anything else is a fault
      const parsed = [200, 400, 500, 503, 504].includes(answer.status) ? ApproveResponse.safeParse(answer.body) : null;
      if (!parsed?.success) throw unexpected(inst, path, answer);
      if (answer.status === 503 && parsed.data.code === 'busy')
        throw InstanceUnavailable(
          'Your instance is busy with other approvals — try again in a few seconds.',
          'instance_busy',
        );
      if (answer.status === 504 && parsed.data.code === 'timeout') {
        deps.logger.warn({ instanceId: inst.instanceId, path }, 'controller approval timed out');
        throw InstanceUnavailable(
          'The approval is taking longer than expected — it may still go through. Check the list in a minute.',
          'controller_timeout',
        );
      }
      if (answer.status === 503 || answer.status === 504) throw unexpected(inst, path, answer);
      result = parsed.data;
    }
    if (result.success) {
      // The approval happened: a failure to drop the fallback cache must not turn it into an error.
      // The cached lists expire within FALLBACK_CACHE_TTL_MS anyway.
      try {
        await invalidateFallbackCache(deps.db, inst.instanceId, deps.clock.now());
      } catch (err) {
        deps.logger.error(
          { instanceId: inst.instanceId, err: (err as Error).message },
          'approved, but the fallback cache could not be invalidated',
        );
      }
    }
    return result;
  }

  function validated<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
    const check = checkInput(schema, input);
    if (!check.ok) throw BadPairingInput(check.message);
    return check.value;
  }

  return {
    listChannelRequests: (userId: string, opts: ListOptions = {}) =>
      list(userId, 'channels', ChannelPairingListResponse, opts) as Promise<ChannelList>,
    listDeviceRequests: (userId: string, opts: ListOptions = {}) =>
      list(userId, 'devices', DevicePairingListResponse, opts) as Promise<DeviceList>,

    async approveChannelRequest(userId: string, input: unknown): Promise<ApproveResponse> {
      const { channel, code } = validated(ApproveChannelBody, input); // before anything else
      return approve(userId, CONTROLLER_ROUTES.approveChannel, { channel, code }, (m) =>
        fallback.approveChannel(m, channel, code),
      );
    },
    async approveDeviceRequest(userId: string, input: unknown): Promise<ApproveResponse> {
      const { requestId } = validated(ApproveDeviceBody, input);
      return approve(userId, CONTROLLER_ROUTES.approveDevice, { requestId }, (m) =>
        fallback.approveDevice(m, requestId),
      );
    },
  };
}

export type PairingService = ReturnType<typeof createPairingService>;
