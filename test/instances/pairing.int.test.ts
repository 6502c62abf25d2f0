// Pairing procedures through real tRPC over HTTP, on PostgreSQL, with instances on the Fly
// emulator: controller first, exec fallback only for an older controller, the fallback cache and
// its invalidation, the guard, input validation, and one user never reaching another's instance.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiloclawInstances, kiloclawPairingCache } from '@/db/schema';
import { CONTROLLER_TIMEOUT_MS } from '@/instances/controller-client';
import { invalidateFallbackCache, readFallbackCache, writeFallbackCache } from '@/instances/pairing/fallback-cache';
import { fixedClock } from '@/platform/clock';
import { signUp, trpcError } from '../harness/client';
import { type FlyWorld, grantAccess, startFlyWorld, userWithInstance } from '../harness/instances';

const clock = fixedClock('2026-11-28T12:00:00Z');
let w: FlyWorld;

beforeAll(async () => {
  w = await startFlyWorld({ clock });
});
afterAll(async () => {
  await w?.close();
});

const cachedRows = (instanceId: string) =>
  w.tdb.db.select().from(kiloclawPairingCache).where(eq(kiloclawPairingCache.instanceId, instanceId));

describe('listing and approving through the controller', () => {
  it('lists a pending channel request, approves it, and it is gone', async () => {
    const { u, m } = await userWithInstance(w);
    const code = m.image.addChannelRequest('telegram', '111222333');
    const list = await u.trpc.kiloclaw.listChannelPairingRequests.query();
    expect(list.source).toBe('controller');
    expect(list.requests).toEqual([expect.objectContaining({ channel: 'telegram', code, id: '111222333' })]);

    const result = await u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code });
    expect(result).toEqual({ success: true, message: 'Approved telegram sender 111222333.' });
    expect((await u.trpc.kiloclaw.listChannelPairingRequests.query()).requests).toEqual([]);
    expect(m.image.cliCalls).toEqual([]); // the fast path never ran the CLI through exec
  });

  it('lists and approves a device request without passing its public key on', async () => {
    const { u, m } = await userWithInstance(w);
    const requestId = m.image.addDeviceRequest();
    const list = await u.trpc.kiloclaw.listDevicePairingRequests.query({ refresh: true });
    expect(list.requests.map((r) => r.requestId)).toEqual([requestId]);
    expect(JSON.stringify(list)).not.toContain(m.image.deviceRequests[0]!.publicKey);

    expect((await u.trpc.kiloclaw.approveDevicePairingRequest.mutate({ requestId })).success).toBe(true);
    expect((await u.trpc.kiloclaw.listDevicePairingRequests.query()).requests).toEqual([]);
  });

  it('passes on the reason when the code is not pending', async () => {
    const { u } = await userWithInstance(w);
    const result = await u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code: 'ZZZZ9999' });
    expect(result.success).toBe(false);
    expect(result.message).toMatch(/No pending pairing request found/);
  });
});

describe('the exec fallback (a controller without the pairing routes)', () => {
  it('keeps an approved request out of the fallback cache when the approve went through the controller', async () => {
    const { u, m, instanceId } = await userWithInstance(w, 'legacy');
    const code = m.image.addChannelRequest('telegram', '424242');

    const first = await u.trpc.kiloclaw.listChannelPairingRequests.query();
    expect(first).toMatchObject({ source: 'fallback', cached: false });
    expect(first.requests.map((r) => r.code)).toEqual([code]);
    clock.advance(1_000);
    expect(await u.trpc.kiloclaw.listChannelPairingRequests.query()).toMatchObject({
      source: 'fallback',
      cached: true,
    });

    m.controller = 'current'; // the controller is upgraded and takes the approve
    clock.advance(1_000);
    expect((await u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code })).success).toBe(
      true,
    );
    expect(m.image.cliCalls.filter((c) => c.startsWith('pairing approve'))).toEqual([]);

    m.controller = 'legacy'; // …and a replica still talking to an older one falls back again
    clock.advance(1_000);
    const after = await u.trpc.kiloclaw.listChannelPairingRequests.query();
    expect(after.source).toBe('fallback');
    expect(after.requests).toEqual([]);
    expect((await cachedRows(instanceId)).length).toBeGreaterThan(0);
  });

  it('approves through exec and invalidates the cached list', async () => {
    const { u, m } = await userWithInstance(w, 'legacy');
    const code = m.image.addChannelRequest('discord', '99887766');
    expect((await u.trpc.kiloclaw.listChannelPairingRequests.query()).requests).toHaveLength(1);
    clock.advance(1_000);
    const result = await u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'discord', code });
    expect(result).toEqual({ success: true, message: 'Approved discord sender 99887766.' });
    expect(m.image.cliCalls).toContain(`pairing approve discord ${code} --notify`);
    clock.advance(1_000);
    expect((await u.trpc.kiloclaw.listChannelPairingRequests.query()).requests).toEqual([]);
  });

  it('lists and approves devices through exec', async () => {
    const { u, m } = await userWithInstance(w, 'legacy');
    const requestId = m.image.addDeviceRequest();
    const list = await u.trpc.kiloclaw.listDevicePairingRequests.query();
    expect(list.source).toBe('fallback');
    expect(list.requests.map((r) => r.requestId)).toEqual([requestId]);
    expect(JSON.stringify(list)).not.toContain('publicKey');
    expect((await u.trpc.kiloclaw.approveDevicePairingRequest.mutate({ requestId })).success).toBe(true);
    clock.advance(1_000);
    expect((await u.trpc.kiloclaw.listDevicePairingRequests.query()).requests).toEqual([]);
  });

  it('does not cache a list it could not parse, and reads again next time', async () => {
    const { u, m, instanceId } = await userWithInstance(w, 'legacy');
    m.image.brokenCli = true;
    const err = await trpcError(u.trpc.kiloclaw.listChannelPairingRequests.query());
    expect(err.data?.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toMatch(/try again/);
    expect(await cachedRows(instanceId)).toEqual([]);

    m.image.brokenCli = false;
    m.image.addChannelRequest('slack', 'U123');
    const calls = m.image.cliCalls.length;
    expect((await u.trpc.kiloclaw.listChannelPairingRequests.query()).requests).toHaveLength(1);
    expect(m.image.cliCalls.length).toBeGreaterThan(calls);
  });

  it('keeps a list read that began before an approval from landing after it', async () => {
    const { instanceId } = await userWithInstance(w, 'legacy');
    const t0 = new Date('2026-11-28T13:00:00Z');
    const stale = { requests: [{ code: 'OLDCODE1', id: '1', channel: 'telegram' }], lastUpdated: t0.toISOString() };
    await invalidateFallbackCache(w.tdb.db, instanceId, new Date(t0.getTime() + 500)); // the approve
    expect(await writeFallbackCache(w.tdb.db, instanceId, 'channels', stale, t0)).toBe(false); // the slow read lands
    expect(await readFallbackCache(w.tdb.db, instanceId, 'channels', new Date(t0.getTime() + 1_000))).toBeNull();
  });
});

describe('when the controller cannot be used', () => {
  it('does not fall back on a 401: the token mismatch is reported', async () => {
    const { u, m } = await userWithInstance(w);
    m.image.addChannelRequest('telegram', '5551');
    m.config.env = { ...m.config.env, CONTROLLER_TOKEN_SHA256: 'ab'.repeat(32) }; // the machine expects another token
    const err = await trpcError(u.trpc.kiloclaw.listChannelPairingRequests.query());
    expect(err.data?.code).toBe('SERVICE_UNAVAILABLE');
    expect((err.data as { reason?: string }).reason).toBe('controller_unauthorized');
    expect(m.image.cliCalls).toEqual([]);
  });

  it('does not fall back silently when the machine answers 5xx', async () => {
    const { u, m } = await userWithInstance(w);
    m.state = 'stopped'; // Fly's proxy answers 502 for it, but our row still says running
    const err = await trpcError(u.trpc.kiloclaw.listChannelPairingRequests.query());
    expect(err.data?.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toMatch(/HTTP 502/);
    expect(m.image.cliCalls).toEqual([]);
  });

  it('gives up on a controller that does not answer within its timeout, without falling back', async () => {
    const { u, m, instanceId } = await userWithInstance(w);
    const hanging = http.createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      await w.tdb.db
        .update(kiloclawInstances)
        .set({ controllerUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` })
        .where(eq(kiloclawInstances.id, instanceId));
      const started = Date.now();
      const err = await trpcError(u.trpc.kiloclaw.listChannelPairingRequests.query());
      expect(err.data?.code).toBe('SERVICE_UNAVAILABLE');
      expect((err.data as { reason?: string }).reason).toBe('controller_unreachable');
      expect(Date.now() - started).toBeLessThan(CONTROLLER_TIMEOUT_MS + 3_000);
      expect(m.image.cliCalls).toEqual([]);
    } finally {
      hanging.closeAllConnections();
      await new Promise((r) => hanging.close(r));
    }
  });
});

describe('guards', () => {
  it('returns empty lists and refuses approves while the instance is not running', async () => {
    const { u, m } = await userWithInstance(w);
    const code = m.image.addChannelRequest('telegram', '7777');
    await u.trpc.kiloclaw.stopInstance.mutate();
    expect(await u.trpc.kiloclaw.listChannelPairingRequests.query()).toMatchObject({
      requests: [],
      source: 'not_running',
    });
    expect(await u.trpc.kiloclaw.listDevicePairingRequests.query()).toMatchObject({
      requests: [],
      source: 'not_running',
    });
    expect(await u.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code })).toEqual({
      success: false,
      message: 'Instance is not running',
    });
    expect(m.image.channelRequests).toHaveLength(1);
  });

  it.each([
    [{ channel: 'Telegram!', code: 'ABCD2345' }, /channel/],
    [{ channel: 'telegram', code: 'AB CD; rm -rf /' }, /code/],
    [{ channel: 'telegram', code: 'x'.repeat(33) }, /code/],
  ])('rejects approve input %j with BAD_REQUEST before anything runs', async (input, field) => {
    const { u, m } = await userWithInstance(w);
    const err = await trpcError(u.trpc.kiloclaw.approveChannelPairingRequest.mutate(input));
    expect(err.data?.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(field);
    expect(m.image.cliCalls).toEqual([]);
    expect(m.image.approvedSenders).toEqual([]);
  });

  it('rejects a device request id that is not a UUID with BAD_REQUEST', async () => {
    const { u } = await userWithInstance(w);
    const err = await trpcError(u.trpc.kiloclaw.approveDevicePairingRequest.mutate({ requestId: '../../etc/passwd' }));
    expect(err.data?.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/UUID/);
  });

  it("never lets user A list or approve on user B's instance", async () => {
    const b = await userWithInstance(w);
    const code = b.m.image.addChannelRequest('telegram', '31337');
    const deviceId = b.m.image.addDeviceRequest();

    const a = await signUp(w.app.url);
    await grantAccess(w.tdb.db, a.id);
    // A without an instance: nothing to see, nothing to approve
    expect((await a.trpc.kiloclaw.listChannelPairingRequests.query()).requests).toEqual([]);
    expect((await a.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code })).success).toBe(
      false,
    );
    // A with an instance of their own: still only their own requests
    expect((await a.trpc.kiloclaw.startInstance.mutate()).status).toBe('running');
    expect((await a.trpc.kiloclaw.listChannelPairingRequests.query()).requests).toEqual([]);
    expect((await a.trpc.kiloclaw.listDevicePairingRequests.query()).requests).toEqual([]);
    expect((await a.trpc.kiloclaw.approveChannelPairingRequest.mutate({ channel: 'telegram', code })).success).toBe(
      false,
    );
    expect((await a.trpc.kiloclaw.approveDevicePairingRequest.mutate({ requestId: deviceId })).success).toBe(false);

    expect(b.m.image.channelRequests.map((r) => r.code)).toEqual([code]);
    expect(b.m.image.deviceRequests.map((r) => r.requestId)).toEqual([deviceId]);
    expect((await b.u.trpc.kiloclaw.listChannelPairingRequests.query()).requests.map((r) => r.code)).toEqual([code]);
  });

  it('keeps pairing behind the access gate', async () => {
    const u = await signUp(w.app.url); // no trial, no subscription
    const err = await trpcError(u.trpc.kiloclaw.listChannelPairingRequests.query());
    expect(err.data?.code).toBe('FORBIDDEN');
  });
});
