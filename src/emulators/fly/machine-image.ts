// What runs inside an emulated machine: a pretend openclaw (pending channel/device requests, the
// CLI's list/approve output and exit codes) and the controller's HTTP surface on top of it. An
// emulated machine can play an older controller that does not know the pairing routes, which is
// what sends the app down its exec fallback.
import { randomBytes, randomUUID } from 'node:crypto';

export type EmulatedChannelRequest = {
  channel: string;
  id: string;
  code: string;
  createdAt: string;
  meta: Record<string, string>;
};
export type EmulatedDeviceRequest = {
  requestId: string;
  deviceId: string;
  publicKey: string;
  platform: string;
  role: string;
  ts: number;
};

export type ControllerGeneration = 'current' | 'legacy';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // openclaw's: A–Z without I and O, 2–9

export class MachineImage {
  channelRequests: EmulatedChannelRequest[] = [];
  deviceRequests: EmulatedDeviceRequest[] = [];
  approvedSenders: string[] = [];
  approvedDevices: string[] = [];
  /** CLI invocations seen by exec, e.g. "pairing list telegram --json". */
  cliCalls: string[] = [];
  /** The CLI prints garbage (exit 0), as a half-broken openclaw upgrade might. */
  brokenCli = false;

  addChannelRequest(channel: string, id: string): string {
    const code = Array.from(randomBytes(8), (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
    this.channelRequests.push({
      channel,
      id,
      code,
      createdAt: new Date().toISOString(),
      meta: { accountId: 'default' },
    });
    return code;
  }

  addDeviceRequest(): string {
    const requestId = randomUUID();
    this.deviceRequests.push({
      requestId,
      deviceId: randomBytes(32).toString('hex'),
      publicKey: randomBytes(32).toString('base64url'),
      platform: 'linux',
      role: 'operator',
      ts: Date.now(),
    });
    return requestId;
  }

  approveChannel(channel: string, code: string): { ok: boolean; message: string } {
    const i = this.channelRequests.findIndex(
      (r) => r.channel === channel && r.code.toUpperCase() === code.toUpperCase(),
    );
    if (i < 0) return { ok: false, message: `No pending pairing request found for code "${code}".` };
    const [r] = this.channelRequests.splice(i, 1);
    this.approvedSenders.push(`${channel}:${r!.id}`);
    return { ok: true, message: `Approved ${channel} sender ${r!.id}.` };
  }

  approveDevice(requestId: string): { ok: boolean; message: string } {
    const i = this.deviceRequests.findIndex((r) => r.requestId.toLowerCase() === requestId.toLowerCase());
    if (i < 0) return { ok: false, message: `No pending device request matches ${requestId}.` };
    const [r] = this.deviceRequests.splice(i, 1);
    this.approvedDevices.push(r!.deviceId);
    return { ok: true, message: `Approved ${r!.deviceId} (${r!.requestId})` };
  }

  /** `openclaw …` as the CLI answers it: {stdout, stderr, exit_code}. */
  runCli(args: string[]): { stdout: string; stderr: string; exit_code: number } {
    this.cliCalls.push(args.join(' '));
    if (this.brokenCli) return ok('openclaw: warning: config migrated\n{"requests": [truncated');
    const [group, verb, a1, a2] = args;
    const json = args.includes('--json');
    if (group === 'pairing' && verb === 'list') {
      if (!a1 || a1.startsWith('--')) return fail('No chat DM pairing channels are configured.');
      const requests = this.channelRequests
        .filter((r) => r.channel === a1)
        .map((r) => ({ id: r.id, code: r.code, createdAt: r.createdAt, lastSeenAt: r.createdAt, meta: r.meta }));
      return ok(json ? JSON.stringify({ channel: a1, requests }) : requests.map((r) => r.code).join('\n'));
    }
    if (group === 'pairing' && verb === 'approve' && a1 && a2) {
      const r = this.approveChannel(a1, a2);
      return r.ok ? ok(r.message) : fail(`Reason: ${r.message}`);
    }
    if (group === 'devices' && verb === 'list') {
      const pending = this.deviceRequests.map((d) => ({
        ...d,
        roles: [d.role],
        scopes: [],
        silent: false,
        isRepair: false,
      }));
      return ok(JSON.stringify({ pending, paired: [] }));
    }
    if (group === 'devices' && verb === 'approve' && a1) {
      const r = this.approveDevice(a1);
      return r.ok ? ok(r.message) : fail(r.message);
    }
    return fail(`unknown command "${args.join(' ')}"`);
  }

  /** The controller's pairing routes (current generation) over this state. */
  controllerPairing(method: string, path: string, body: unknown): { status: number; body: unknown } {
    const now = new Date().toISOString();
    if (method === 'GET' && path === '/_kilo/pairing/channels') {
      const requests = this.channelRequests.map((r) => ({
        code: r.code,
        id: r.id,
        channel: r.channel,
        meta: r.meta,
        createdAt: r.createdAt,
      }));
      return { status: 200, body: { requests, lastUpdated: now } };
    }
    if (method === 'GET' && path === '/_kilo/pairing/devices') {
      const requests = this.deviceRequests.map((d) => ({
        requestId: d.requestId,
        deviceId: d.deviceId,
        role: d.role,
        platform: d.platform,
        ts: d.ts,
      }));
      return { status: 200, body: { requests, lastUpdated: now } };
    }
    const b = (body ?? {}) as Record<string, string>;
    if (method === 'POST' && path === '/_kilo/pairing/channels/approve') {
      const r = this.approveChannel(String(b.channel), String(b.code));
      return { status: r.ok ? 200 : 500, body: { success: r.ok, message: r.message } };
    }
    if (method === 'POST' && path === '/_kilo/pairing/devices/approve') {
      const r = this.approveDevice(String(b.requestId));
      return { status: r.ok ? 200 : 500, body: { success: r.ok, message: r.message } };
    }
    return { status: 404, body: { code: 'controller_route_unavailable' } };
  }
}

const ok = (stdout: string) => ({ stdout: `${stdout}\n`, stderr: '', exit_code: 0 });
const fail = (reason: string) => ({
  stdout: '',
  stderr: `[openclaw] The CLI command failed.\n[openclaw] ${reason}\n`,
  exit_code: 1,
});
