// How an approval chooses its way: the gateway protocol through the pairing worker when it is
// connected, the CLI (with --notify) whenever that path is off, does not know the request, or fails;
// and a channel approval answers once the state database shows it committed, without waiting for
// the sender's notification. The worker and the CLI are stand-ins at their process boundary.
import { describe, expect, it } from 'vitest';
import { type ApproverDeps, createApprover } from '@/controller/approver';
import { systemClock } from '@/controller/clock';
import { silentLogger } from '@/controller/log';
import type { OpenclawCli } from '@/controller/openclaw-cli';
import { type PairingWorkerClient, WorkerCallFailed, WorkerUnavailable } from '@/controller/pairing-worker-client';

const REQUEST = {
  code: 'ABCD2345',
  id: '111',
  channel: 'telegram',
  meta: { accountId: 'default' },
  createdAt: '2026-11-29T12:00:00.000Z',
};

function setup(opts: {
  status?: 'connected' | 'off';
  worker?: (op: string, params: unknown) => Promise<unknown>;
  committed?: () => boolean | null;
}) {
  const cliCalls: string[][] = [];
  const workerCalls: Array<{ op: string; params: unknown }> = [];
  const cli = {
    approveChannel: async (channel: string, code: string, o?: { notify?: boolean }) => {
      cliCalls.push(['pairing', 'approve', channel, code, ...(o?.notify ? ['--notify'] : [])]);
      return `Approved ${channel} sender 111.`;
    },
    approveDevice: async (requestId: string) => {
      cliCalls.push(['devices', 'approve', requestId]);
      return `Approved dev-1 (${requestId})`;
    },
  } as unknown as OpenclawCli;
  const worker = {
    status: opts.status ?? 'connected',
    call: (op: string, params: unknown) => {
      workerCalls.push({ op, params });
      return opts.worker ? opts.worker(op, params) : Promise.reject(new WorkerUnavailable('no worker'));
    },
  } as unknown as PairingWorkerClient;
  const deps: ApproverDeps = {
    worker,
    cli,
    findChannelRequest: (channel, code) => (channel === 'telegram' && code === REQUEST.code ? REQUEST : undefined),
    channelApproved: () => opts.committed?.() ?? null,
    clock: systemClock,
    log: silentLogger,
  };
  return { approver: createApprover(deps), cliCalls, workerCalls };
}

describe('approvals', () => {
  it('go through the gateway when the worker is connected, asking openclaw to notify the sender', async () => {
    const t = setup({
      worker: async () => ({ senderId: '111', notification: 'sent', commandOwnerBootstrap: 'configured' }),
    });
    const done = await t.approver.approveChannel({ channel: 'telegram', code: 'ABCD2345' });
    expect(done).toEqual({ message: 'Approved telegram sender 111.', path: 'gateway' });
    expect(t.workerCalls).toEqual([
      {
        op: 'approve-channel',
        params: {
          channel: 'telegram',
          accountId: 'default',
          senderId: '111',
          createdAt: REQUEST.createdAt,
          notify: true,
        },
      },
    ]);
    expect(t.cliCalls).toEqual([]);
  });

  it('answer once the state database shows the approval committed, while the notification is still out', async () => {
    let committed = false;
    const t = setup({
      worker: () => {
        setTimeout(() => {
          committed = true;
        }, 30);
        return new Promise(() => {}); // the gateway is still notifying the sender
      },
      committed: () => committed,
    });
    const started = performance.now();
    const done = await t.approver.approveChannel({ channel: 'telegram', code: 'ABCD2345' });
    expect(done.path).toBe('gateway');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(t.cliCalls).toEqual([]);
  });

  it.each([
    ['the worker is not connected', { status: 'off' as const }],
    ['the gateway does not list the request', { worker: async () => ({ notFound: true }) }],
    [
      'the gateway refuses',
      { worker: () => Promise.reject(new WorkerCallFailed('unknown pairing channel', 'INVALID_REQUEST')) },
    ],
    ['the gateway does not answer in time', { worker: () => Promise.reject(new WorkerUnavailable('timeout')) }],
  ])('fall back to the CLI with --notify when %s', async (_why, opts) => {
    const t = setup({ ...opts, committed: () => false });
    const done = await t.approver.approveChannel({ channel: 'telegram', code: 'ABCD2345' });
    expect(done).toEqual({ message: 'Approved telegram sender 111.', path: 'cli' });
    expect(t.cliCalls).toEqual([['pairing', 'approve', 'telegram', 'ABCD2345', '--notify']]);
  });

  it('count a gateway call that failed after committing as done, without approving twice', async () => {
    const t = setup({ worker: () => Promise.reject(new WorkerUnavailable('timeout')), committed: () => true });
    expect((await t.approver.approveChannel({ channel: 'telegram', code: 'ABCD2345' })).path).toBe('gateway');
    expect(t.cliCalls).toEqual([]);
  });

  it('use the CLI for a code the controller does not know (it gives openclaw’s own answer)', async () => {
    const t = setup({ worker: async () => ({ senderId: 'x', notification: 'sent', commandOwnerBootstrap: 'x' }) });
    await t.approver.approveChannel({ channel: 'telegram', code: 'ZZZZ9999' });
    expect(t.workerCalls).toEqual([]);
    expect(t.cliCalls).toEqual([['pairing', 'approve', 'telegram', 'ZZZZ9999', '--notify']]);
  });

  it('approve devices through the gateway, and through the CLI when that fails', async () => {
    const id = '3f2b8c1e-0d4a-4e6b-9a57-1c2d3e4f5a6b';
    const fast = setup({ worker: async () => ({ deviceId: 'dev-1' }) });
    expect(await fast.approver.approveDevice({ requestId: id })).toEqual({
      message: `Approved dev-1 (${id})`,
      path: 'gateway',
    });
    const slow = setup({ worker: () => Promise.reject(new WorkerCallFailed('unknown requestId', 'INVALID_REQUEST')) });
    expect(await slow.approver.approveDevice({ requestId: id })).toEqual({
      message: `Approved dev-1 (${id})`,
      path: 'cli',
    });
    expect(slow.cliCalls).toEqual([['devices', 'approve', id]]);
  });

  it('let exactly one of two simultaneous approvals of the same code succeed', async () => {
    let pending = true;
    const approver = createApprover({
      worker: {
        status: 'connected',
        call: async () => {
          if (!pending) throw new WorkerCallFailed('pending DM access request no longer exists', 'INVALID_REQUEST');
          pending = false;
          return { senderId: '111', notification: 'sent', commandOwnerBootstrap: 'configured' };
        },
      } as unknown as PairingWorkerClient,
      cli: {
        approveChannel: async () => {
          if (!pending) throw new Error('No pending pairing request found for code "ABCD2345".');
          pending = false;
          return 'Approved telegram sender 111.';
        },
      } as unknown as OpenclawCli,
      findChannelRequest: () => (pending ? REQUEST : undefined),
      channelApproved: () => !pending,
      clock: systemClock,
      log: silentLogger,
    });
    const both = await Promise.allSettled([
      approver.approveChannel({ channel: 'telegram', code: 'ABCD2345' }),
      approver.approveChannel({ channel: 'telegram', code: 'abcd2345' }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });
});
