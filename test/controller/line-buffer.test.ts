import { describe, expect, it } from 'vitest';
import { LineBuffer } from '@/controller/line-buffer';

describe('LineBuffer', () => {
  it('splits chunks into lines, strips carriage returns and keeps UTF-8 split across chunks intact', () => {
    const lines: string[] = [];
    const buffer = new LineBuffer((l) => lines.push(l));
    const text = Buffer.from('pairing ✓ one\r\ntwo\nthr');
    buffer.push(text.subarray(0, 10)); // cuts the 3-byte ✓ in half
    buffer.push(text.subarray(10));
    buffer.push('ee\n');
    buffer.end();
    expect(lines).toEqual(['pairing ✓ one', 'two', 'three']);
  });

  it('cuts an over-long line and drops its rest, then carries on', () => {
    const lines: string[] = [];
    const buffer = new LineBuffer((l) => lines.push(l), 100);
    buffer.push('x'.repeat(150));
    buffer.push('y'.repeat(10_000));
    buffer.push('\nnext\n');
    expect(lines).toEqual(['x'.repeat(100), 'next']);
  });

  it('keeps going when the callback throws', () => {
    const lines: string[] = [];
    const buffer = new LineBuffer((l) => {
      if (l === 'bad') throw new Error('listener bug');
      lines.push(l);
    });
    buffer.push('bad\ngood\nbad\nalso good\n');
    expect(lines).toEqual(['good', 'also good']);
    expect(buffer.callbackErrors).toBe(2);
  });
});
