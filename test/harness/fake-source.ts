// A PairingSource whose CLI reads the test resolves by hand, and whose fast path it switches.
import type { PairingSource } from '@/controller/pairing-cache';

export interface Item {
  key: string;
  id: string;
}

export interface PendingCliRead {
  key: string;
  resolve(items: Item[]): void;
  reject(error: Error): void;
}

export class FakeSource implements PairingSource<Item> {
  readonly kind = 'channels' as const;
  currentKeys: string[] = ['telegram'];
  cliReads: PendingCliRead[] = [];
  fastData = new Map<string, Item[]>();
  fastOn = false;
  fastThrows = false;
  fastReads = 0;
  /** The database's data_version as fastVersion() reports it; null: unknown (every poll queries). */
  dataVersion: number | null = null;

  keys(): string[] {
    return [...this.currentKeys];
  }
  async prepareFast(): Promise<boolean> {
    return this.fastOn;
  }
  fastReady(): boolean {
    return this.fastOn;
  }
  fastVersion(): number | null {
    return this.fastOn ? this.dataVersion : null;
  }
  readFast(key: string): Item[] {
    this.fastReads += 1;
    if (this.fastThrows) throw new Error('database is locked');
    return this.fastData.get(key) ?? [];
  }
  readCli(key: string, signal: AbortSignal): Promise<Item[]> {
    return new Promise((resolve, reject) => {
      this.cliReads.push({ key, resolve, reject });
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }

  /** Resolves every CLI read still pending, per key. */
  answerAll(byKey: Record<string, Item[] | Error>): void {
    const reads = this.cliReads;
    this.cliReads = [];
    for (const read of reads) {
      const answer = byKey[read.key] ?? [];
      if (answer instanceof Error) read.reject(answer);
      else read.resolve(answer);
    }
  }
}

export const item = (key: string, id: string): Item => ({ key, id });
