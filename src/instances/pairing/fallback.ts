// The exec fallback for controllers that predate the pairing routes: run the openclaw CLI in the
// machine through the provider and read its JSON. Inputs were validated before they get here and
// the command is an argument array (no shell). A failed or unparseable answer throws (never cached).
import { z } from 'zod';
import {
  type ApproveResponse,
  type ChannelPairingListResponse,
  ChannelPairingRequest,
  type DevicePairingListResponse,
  DevicePairingRequest,
} from '@/contracts/controller';
import type { MachineProvider } from '../providers/provider';

const FALLBACK_EXEC_TIMEOUT_S = 60; // one CLI call takes 2–8 s; 60 s means it is stuck
/** The CLI needs a channel name to list; these are the channels an instance can configure. */
const FALLBACK_CHANNELS = ['telegram', 'discord', 'slack'] as const;

export class FallbackFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FallbackFailed';
  }
}

// The contract schemas strip what the app must not pass on (device publicKey, CLI-only fields).
const ChannelListOutput = z.object({ requests: z.array(ChannelPairingRequest.omit({ channel: true })) });
const DeviceListOutput = z.object({ pending: z.array(DevicePairingRequest) });

function parseJson<T>(schema: z.ZodType<T>, stdout: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(stdout.trim());
  } catch {
    throw new FallbackFailed(`${what} printed something that is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new FallbackFailed(`${what} printed JSON of an unexpected shape`);
  return parsed.data;
}

/** The reason a person can act on, from the CLI's stderr ("Reason: …" when openclaw gives one). */
export function cliReason(stderr: string, stdout: string): string {
  const lines = `${stderr}\n${stdout}`
    .split('\n')
    .map((l) => l.replace(/^\[openclaw\]\s*/, '').trim())
    .filter(Boolean);
  const reason = lines
    .find((l) => l.startsWith('Reason:'))
    ?.slice('Reason:'.length)
    .trim();
  return (reason ?? lines.at(-1) ?? 'the openclaw CLI failed').slice(0, 300);
}

const approvedLine = (stdout: string) => {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => l.startsWith('Approved')) ?? lines[0];
};

export function createFallback(provider: MachineProvider) {
  async function run(machineId: string, args: string[]) {
    const out = await provider.exec(machineId, ['openclaw', ...args], FALLBACK_EXEC_TIMEOUT_S);
    return out;
  }

  return {
    async listChannels(machineId: string): Promise<ChannelPairingListResponse> {
      const lists = await Promise.all(
        FALLBACK_CHANNELS.map(async (channel) => {
          const out = await run(machineId, ['pairing', 'list', channel, '--json']);
          if (out.exitCode !== 0)
            throw new FallbackFailed(`pairing list ${channel} failed: ${cliReason(out.stderr, out.stdout)}`);
          return parseJson(ChannelListOutput, out.stdout, `pairing list ${channel}`).requests.map((r) => ({
            ...r,
            channel,
          }));
        }),
      );
      return { requests: lists.flat(), lastUpdated: new Date().toISOString() };
    },

    async listDevices(machineId: string): Promise<DevicePairingListResponse> {
      const out = await run(machineId, ['devices', 'list', '--json']);
      if (out.exitCode !== 0) throw new FallbackFailed(`devices list failed: ${cliReason(out.stderr, out.stdout)}`);
      return {
        requests: parseJson(DeviceListOutput, out.stdout, 'devices list').pending,
        lastUpdated: new Date().toISOString(),
      };
    },

    async approveChannel(machineId: string, channel: string, code: string): Promise<ApproveResponse> {
      // --notify: openclaw tells the approved sender on their channel, as the controller's paths do
      const out = await run(machineId, ['pairing', 'approve', channel, code, '--notify']);
      if (out.exitCode !== 0) return { success: false, message: cliReason(out.stderr, out.stdout) };
      return { success: true, message: approvedLine(out.stdout) ?? `Approved ${channel} request.` };
    },

    async approveDevice(machineId: string, requestId: string): Promise<ApproveResponse> {
      const out = await run(machineId, ['devices', 'approve', requestId]);
      if (out.exitCode !== 0) return { success: false, message: cliReason(out.stderr, out.stdout) };
      return { success: true, message: approvedLine(out.stdout) ?? 'Device approved.' };
    },
  };
}
