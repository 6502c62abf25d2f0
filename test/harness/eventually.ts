// The one way a test waits for something that happens on its own time: poll until it holds.

export type EventuallyOptions = {
  /** give up after this long (default 10 s) */
  timeoutMs?: number;
  /** pause between checks (default 20 ms); make it longer when one check is costly */
  intervalMs?: number;
  /** what is awaited, for the timeout message */
  what?: string;
};

type Found<T> = Exclude<T, undefined | null | false>;

/**
 * Calls `check` until it returns something other than undefined, null or false, and returns that.
 * A check that throws (a failed `expect`, a refused request) counts as "not yet"; when time is up,
 * the error names `what` and carries the last failure.
 */
export async function eventually<T>(check: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<Found<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Found<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : lastError ? `: ${String(lastError)}` : '';
      throw new Error(`${opts.what ?? 'condition'} not met within ${timeoutMs} ms${why}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}
