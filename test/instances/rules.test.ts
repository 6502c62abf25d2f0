// Pure rules of the instance side: status transitions, the 5-minute start timeout, reading the
// existing machine id out of a 409, the CLI's failure reason — and that Fly calls time out.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceStatus } from '@/db/schema';
import { cliReason } from '@/instances/pairing/fallback';
import { createFlyClient } from '@/instances/providers/fly/fly-client';
import { existingMachineIdFrom } from '@/instances/providers/fly/fly-provider';
import { ProviderError } from '@/instances/providers/provider';
import { DESTROYABLE, STARTING_TIMEOUT_MS, STOPPABLE, startRefusal, startTimedOut } from '@/instances/transitions';

describe('status transitions', () => {
  it.each<[InstanceStatus, ReturnType<typeof startRefusal>]>([
    ['provisioned', null],
    ['stopped', null],
    ['running', 'already_running'],
    ['starting', 'already_starting'],
    ['destroying', 'destroying'],
  ])('a start from %s → %s', (status, refusal) => {
    expect(startRefusal(status)).toBe(refusal);
  });

  it('lets a destroy leave from every status but destroying, and a stop only from running or starting', () => {
    expect(DESTROYABLE).not.toContain('destroying');
    expect([...STOPPABLE].sort()).toEqual(['running', 'starting']);
  });

  it('times a start out only after 5 minutes', () => {
    const claimed = new Date('2026-11-28T12:00:00Z');
    expect(startTimedOut(claimed, new Date(claimed.getTime() + STARTING_TIMEOUT_MS))).toBe(false);
    expect(startTimedOut(claimed, new Date(claimed.getTime() + STARTING_TIMEOUT_MS + 1))).toBe(true);
    expect(startTimedOut(null, claimed)).toBe(true);
  });
});

describe('reading a 409 name clash', () => {
  it.each([
    [
      { error: 'already_exists: unable to create machine, machine ID 148e443a04d6e8 already exists with name "x"' },
      '148e443a04d6e8',
    ],
    [{ error: 'machine 3d8d9e1b2c4f56 already exists' }, '3d8d9e1b2c4f56'],
    [{ machine_id: 'abc123def456' }, 'abc123def456'],
    [{ error: 'already_exists' }, null],
    ['not json', null],
  ])('%j → %s', (body, id) => {
    expect(existingMachineIdFrom(body)).toBe(id);
  });
});

describe("the CLI's failure reason", () => {
  it('prefers openclaw\'s "Reason:" line', () => {
    const stderr =
      '[openclaw] The CLI command failed.\n[openclaw] Reason: No pending pairing request found for code "ZZZZ9999".\n';
    expect(cliReason(stderr, '')).toBe('No pending pairing request found for code "ZZZZ9999".');
  });
  it('falls back to the last line', () => {
    expect(cliReason('', 'No pending device request matches x.\n')).toBe('No pending device request matches x.');
    expect(cliReason('', '')).toBe('the openclaw CLI failed');
  });
});

describe('Fly calls', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer(() => {}); // accepts and never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('give up after their timeout with an error that says so', async () => {
    const fly = createFlyClient({ baseUrl: url, appName: 'a', token: 't', timeoutMs: 200 });
    const started = Date.now();
    const err = await fly.getMachine('m1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBeNull();
    expect((err as ProviderError).message).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
