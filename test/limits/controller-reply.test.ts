// A customer's machine is not trusted: the controller client reads at most CONTROLLER_MAX_REPLY_BYTES
// of a reply, whatever the controller claims, and treats a longer one as no answer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_MAX_REPLY_BYTES, ControllerUnreachable, callController } from '@/instances/controller-client';

/** A stand-in for a hostile controller on loopback: each path answers differently. */
let server: http.Server;
let baseUrl: string;
let bytesSentByHuge = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/small') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ requests: [], lastUpdated: null }));
      return;
    }
    if (req.url === '/huge-chunked') {
      // no Content-Length, 64 kB chunks for as long as the client reads: 50 MB if it never stops
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const push = () => {
        while (bytesSentByHuge < 50 * 1024 * 1024) {
          bytesSentByHuge += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      push();
      return;
    }
    if (req.url === '/huge-declared') {
      res.setHeader('content-length', String(5 * CONTROLLER_MAX_REPLY_BYTES));
      res.end(Buffer.alloc(5 * CONTROLLER_MAX_REPLY_BYTES, 'b'));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const target = () => ({ baseUrl, secret: 'x'.repeat(32), instanceId: '00000000-0000-0000-0000-000000000001' });

describe('the controller client reads at most a capped reply', () => {
  it('reads an honest reply whole', async () => {
    const answer = await callController(target(), 'GET', '/small');
    expect(answer).toEqual({ status: 200, body: { requests: [], lastUpdated: null } });
  });

  it('stops reading an endless reply at the cap and calls it no answer', async () => {
    const err = await callController(target(), 'GET', '/huge-chunked').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControllerUnreachable);
    expect((err as ControllerUnreachable).reason).toBe(
      `reply larger than ${CONTROLLER_MAX_REPLY_BYTES} bytes (not read further)`,
    );
    // the sender was stopped long before its 50 MB (socket buffers hold a few MB at most)
    await new Promise((r) => setTimeout(r, 200));
    expect(bytesSentByHuge).toBeLessThan(20 * 1024 * 1024);
  });

  it('refuses a reply over the cap with a declared length, and honours a smaller cap', async () => {
    await expect(callController(target(), 'GET', '/huge-declared')).rejects.toBeInstanceOf(ControllerUnreachable);
    await expect(callController(target(), 'GET', '/small', { maxReplyBytes: 10 })).rejects.toThrow(
      'reply larger than 10 bytes',
    );
  });
});
