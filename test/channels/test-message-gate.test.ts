import { describe, expect, it } from 'vitest';
import type { Db } from '@/db/client';
import { createChannelService } from '@/instances/channels/channel-service';
import { InstanceError } from '@/instances/errors';
import { systemClock } from '@/platform/clock';
import { createLogger } from '@/platform/logger';
import { domainErrorToTrpc } from '@/server/errors';

describe('"send a test message" outside development', () => {
  it('is refused with FORBIDDEN and a sentence saying why, before anything is read or sent', async () => {
    const service = createChannelService({
      // production refuses before it touches the database or the instance
      db: null as unknown as Db,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      controllerSecret: 'unused-unused-unused-unused-unused',
      cipher: null,
      testMessages: false,
    });
    const err = await service.sendTestMessage('user-1', { channel: 'telegram' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstanceError);
    const trpc = domainErrorToTrpc(err)!;
    expect(trpc.code).toBe('FORBIDDEN');
    expect(trpc.message).toMatch(/only in development/);
  });
});
