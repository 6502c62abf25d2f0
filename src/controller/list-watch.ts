// A version number per pairing list and a long-poll on it: the dashboard asks "anything newer than
// version N?" and the controller holds the request until the list changes (the state database is
// polled every second, an approval refreshes at once) or `wait` seconds pass. An idle open page
// then costs one request per list every LIST_WAIT_MAX_S seconds, and a new request still shows
// within about a second.
import type { Clock } from './clock';

const CHECK_MS = 100; // comparing one cached list is microseconds; 100 ms adds at most that to a change

export interface WatchedList {
  snapshot(): { requests: unknown[] };
  /** The serialised snapshot, cached by the list until it is read again (at most once a second). */
  snapshotJson(): string;
}

export class ListWatch {
  private version = 0;
  private lastJson: string | null = null;
  private lastFull: string | null = null;

  constructor(
    private readonly list: WatchedList,
    private readonly clock: Clock,
  ) {}

  /** The list's current version; it grows whenever the requests differ from the last look. */
  current(): number {
    const full = this.list.snapshotJson();
    if (full === this.lastFull) return this.version; // same cached string: nothing was read since
    this.lastFull = full;
    const json = JSON.stringify(this.list.snapshot().requests);
    if (json !== this.lastJson) {
      if (this.lastJson !== null) this.version += 1;
      this.lastJson = json;
    }
    return this.version;
  }

  /** Resolves with the version once it differs from `since`, or after `waitMs`, or when `signal` aborts. */
  waitForChange(since: number, waitMs: number, signal?: AbortSignal): Promise<number> {
    return new Promise((resolve) => {
      const deadline = this.clock.now() + waitMs;
      const check = () => {
        const version = this.current();
        if (version !== since || this.clock.now() >= deadline || signal?.aborted) return resolve(version);
        this.clock.setTimeout(check, CHECK_MS);
      };
      check();
    });
  }
}
