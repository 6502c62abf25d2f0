// Development machines only: makes openclaw itself record a pairing request from a simulated sender,
// through its public plugin SDK (`upsertChannelPairingRequest` from
// `openclaw/plugin-sdk/conversation-runtime`), run under openclaw's own Node 24 in a child process.
// With no internet no real bot can message the assistant; this is how a developer sees the loop.
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { ChannelKind } from '../contracts/channel-input';
import { TestMessageResponse } from '../contracts/controller';
import type { Env, ExecFn } from './exec';
import { OpenclawCliError } from './openclaw-cli';

const SENDER_TIMEOUT_MS = 60_000; // loading the SDK takes ~1 s idle, much longer on a busy host

// Resolves the SDK from openclaw's own package (its exports map), then prints openclaw's answer.
const SCRIPT = `
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const entry = createRequire(process.env.KILOCLAW_OPENCLAW_CLI).resolve('openclaw/plugin-sdk/conversation-runtime');
const { upsertChannelPairingRequest } = await import(pathToFileURL(entry).href);
const result = await upsertChannelPairingRequest(JSON.parse(process.env.KILOCLAW_PAIRING_REQUEST));
process.stdout.write(JSON.stringify(result) + '\\n');
`;

const Answer = z.object({ code: z.string(), created: z.boolean() });

export interface SimulatedSender {
  ask(channel: ChannelKind): Promise<TestMessageResponse>;
}

export function createSimulatedSender(opts: {
  nodeBin: string;
  cliPath: string;
  stateDir: string;
  exec: ExecFn;
  baseEnv: Env;
}) {
  return {
    async ask(channel: ChannelKind): Promise<TestMessageResponse> {
      const senderId = String(randomInt(100_000_000, 999_999_999));
      const request = { channel, id: senderId, meta: { username: 'kiloclaw_test', firstName: 'Test sender' } };
      const env: Env = {
        ...opts.baseEnv,
        OPENCLAW_STATE_DIR: opts.stateDir,
        KILOCLAW_OPENCLAW_CLI: opts.cliPath,
        KILOCLAW_PAIRING_REQUEST: JSON.stringify(request),
      };
      delete env.CONTROLLER_TOKEN;
      const result = await opts.exec({
        file: opts.nodeBin,
        args: ['--input-type=module', '-e', SCRIPT],
        env,
        timeoutMs: SENDER_TIMEOUT_MS,
      });
      const line = result.stdout.trim().split('\n').at(-1) ?? '';
      let parsed: z.infer<typeof Answer> | null = null;
      try {
        const value = Answer.safeParse(JSON.parse(line));
        parsed = value.success ? value.data : null;
      } catch {
        parsed = null;
      }
      if (result.code !== 0 || !parsed) {
        throw new OpenclawCliError(
          'failed',
          `openclaw did not record the test request (exit ${result.code ?? result.signal})`,
        );
      }
      // openclaw answers code "" once 3 requests are pending for this channel: say so instead of pretending
      if (!parsed.code)
        throw new OpenclawCliError('failed', `${channel} already has 3 pending pairing requests — approve one first`);
      return TestMessageResponse.parse({ senderId, ...parsed });
    },
  } satisfies SimulatedSender;
}
