// Splits a byte stream into lines for the supervisor's onStdoutLine hook: UTF-8 safe, "\r"
// stripped, each line capped (the rest of an over-long line is dropped), and a throwing callback
// never stops the splitting.
import { StringDecoder } from 'node:string_decoder';

export const MAX_LINE_CHARS = 8_192; // gateway log lines are < 1 kB; a runaway line must not grow memory

export class LineBuffer {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** Inside a line that already hit the cap: drop text until its newline. */
  private skipping = false;
  callbackErrors = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars: number = MAX_LINE_CHARS,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) {
        this.append(text.slice(start));
        return;
      }
      this.append(text.slice(start, newline));
      this.flushLine();
      start = newline + 1;
    }
  }

  /** The stream ended: emit what is left as a last line. */
  end(): void {
    this.append(this.decoder.end());
    if (this.partial || this.skipping) this.flushLine();
  }

  private append(piece: string): void {
    if (this.skipping || !piece) return;
    const room = this.maxLineChars - this.partial.length;
    if (piece.length <= room) {
      this.partial += piece;
      return;
    }
    this.partial += piece.slice(0, room);
    this.emit(this.partial);
    this.partial = '';
    this.skipping = true;
  }

  private flushLine(): void {
    if (this.skipping) this.skipping = false;
    else this.emit(this.partial);
    this.partial = '';
  }

  private emit(line: string): void {
    const clean = line.replace(/\r/g, '');
    try {
      this.onLine(clean);
    } catch {
      this.callbackErrors += 1;
    }
  }
}
