// Reads a body stream up to a byte cap. Used on every door where the sender is not trusted (request
// bodies, controller replies): a sender that lies in Content-Length, or sends none, still cannot make
// us hold more than the cap in memory. Counting bytes, not characters: a multi-byte character counts
// for all of its bytes.

export type CappedRead = { ok: true; bytes: Uint8Array<ArrayBuffer> } | { ok: false; readBytes: number };

export async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<CappedRead> {
  if (!body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        // stop reading: the rest of the stream is discarded, never buffered
        await reader.cancel().catch(() => {});
        return { ok: false, readBytes: total };
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return { ok: true, bytes };
}

/** The declared Content-Length, or null when absent or not a number (chunked bodies). */
export function declaredLength(headers: Headers): number | null {
  const raw = headers.get('content-length');
  if (raw === null || !/^\d+$/.test(raw.trim())) return null;
  return Number(raw);
}
