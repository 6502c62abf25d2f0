// A thin client of the Fly Machines API over fetch. Every call has a timeout; a non-2xx answer
// becomes a ProviderError carrying the status and the parsed body, so callers can branch on them.
import { errorMessage } from '@/platform/error-message';
import { ProviderError } from '../provider';

const FLY_CALL_TIMEOUT_MS = 15_000; // an ordinary Machines API call answers in well under a second
const WAIT_MAX_S = 60; // Fly clamps /wait to 60 s; longer waits loop
const EXEC_MARGIN_MS = 15_000; // on top of the command's own timeout: connection + exec startup
// Fly answers 429 + Retry-After past its rate limits (1 req/s per action per machine, burst 3): a
// call waits that long and tries again, but never longer than this in all — a caller with many
// machines (the reconciler) is better off leaving the rest for its next run than stalling.
const RATE_LIMIT_BUDGET_MS = 5_000;
const RATE_LIMIT_DEFAULT_WAIT_MS = 1_000; // a 429 without Retry-After
export const LIST_PAGE_SIZE = 500; // machines per list page: 10,000 instances → 20 calls

/** Retry-After in ms (seconds or an HTTP date); null when absent or unreadable. */
function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

type FlyMount = { volume: string; path: string };
export type FlyMachineConfig = {
  image?: string;
  env?: Record<string, string>;
  mounts?: FlyMount[];
  metadata?: Record<string, string>;
  [key: string]: unknown;
};
export type FlyMachine = {
  id: string;
  name: string;
  state: string;
  region?: string;
  instance_id?: string;
  private_ip?: string;
  config: FlyMachineConfig;
};
export type FlyVolume = {
  id: string;
  name: string;
  state?: string;
  region?: string;
  attached_machine_id?: string | null;
};
export type FlyExecResponse = { stdout?: string; stderr?: string; exit_code?: number; exit_signal?: number };

export type FlyClientOptions = {
  baseUrl: string;
  appName: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

export function createFlyClient(opts: FlyClientOptions) {
  const base = `${opts.baseUrl.replace(/\/$/, '')}/v1/apps/${encodeURIComponent(opts.appName)}`;
  const doFetch = opts.fetch ?? fetch;
  const defaultTimeout = opts.timeoutMs ?? FLY_CALL_TIMEOUT_MS;

  /** One API call; a 429 is retried after its Retry-After while the rate-limit budget lasts. */
  async function call<T>(
    operation: string,
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = defaultTimeout,
  ): Promise<T> {
    let waited = 0;
    for (;;) {
      try {
        return await callOnce<T>(operation, method, path, body, timeoutMs);
      } catch (err) {
        if (!(err instanceof ProviderError) || err.status !== 429) throw err;
        const wait = err.retryAfterMs ?? RATE_LIMIT_DEFAULT_WAIT_MS;
        if (waited + wait > RATE_LIMIT_BUDGET_MS) throw err;
        waited += wait;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async function callOnce<T>(
    operation: string,
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${opts.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const reason =
        err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorMessage(err);
      throw new ProviderError(operation, null, null, `fly ${operation}: ${reason}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep the raw text: Fly sometimes answers plain text from its proxy
    }
    if (!res.ok) {
      const detail =
        typeof parsed === 'object' && parsed && 'error' in parsed
          ? String((parsed as { error: unknown }).error)
          : text.slice(0, 300);
      const retryAfter = res.status === 429 ? retryAfterMs(res.headers.get('retry-after')) : null;
      throw new ProviderError(
        operation,
        res.status,
        parsed,
        `fly ${operation}: HTTP ${res.status} ${detail}`,
        retryAfter,
      );
    }
    return parsed as T;
  }

  const m = (id: string) => `/machines/${encodeURIComponent(id)}`;

  return {
    createMachine: (body: { name: string; region?: string; config: FlyMachineConfig }) =>
      call<FlyMachine>('create machine', 'POST', '/machines', body),
    getMachine: (id: string) => call<FlyMachine>('get machine', 'GET', m(id)),
    updateMachine: (id: string, config: FlyMachineConfig) =>
      call<FlyMachine>('update machine', 'POST', m(id), { config }),
    startMachine: (id: string) => call<unknown>('start machine', 'POST', `${m(id)}/start`),
    stopMachine: (id: string) => call<unknown>('stop machine', 'POST', `${m(id)}/stop`),
    deleteMachine: (id: string) => call<unknown>('delete machine', 'DELETE', `${m(id)}?force=true`),
    listMachinesByMetadata: (key: string, value: string) =>
      call<FlyMachine[]>('list machines', 'GET', `/machines?${new URLSearchParams({ [`metadata.${key}`]: value })}`),
    /** One page of the app's machines (cursor paging; an API without it answers the whole list). */
    async listMachinesPage(cursor: string | null): Promise<{ machines: FlyMachine[]; nextCursor: string | null }> {
      const q = new URLSearchParams({ limit: String(LIST_PAGE_SIZE), ...(cursor ? { cursor } : {}) });
      const page = await call<FlyMachine[] | { machines?: FlyMachine[]; next_cursor?: string | null }>(
        'list machines',
        'GET',
        `/machines?${q}`,
      );
      if (Array.isArray(page)) return { machines: page, nextCursor: null };
      return { machines: page?.machines ?? [], nextCursor: page?.next_cursor || null };
    },
    /** One bounded wait (≤ 60 s); a 408 means "not yet" and is returned as false. */
    async waitOnce(id: string, state: string, timeoutS: number, instanceId?: string): Promise<boolean> {
      const s = Math.max(1, Math.min(WAIT_MAX_S, Math.ceil(timeoutS)));
      const q = new URLSearchParams({ state, timeout: String(s), ...(instanceId ? { instance_id: instanceId } : {}) });
      try {
        await call<unknown>('wait machine', 'GET', `${m(id)}/wait?${q}`, undefined, s * 1000 + defaultTimeout);
        return true;
      } catch (err) {
        if (err instanceof ProviderError && err.status === 408) return false;
        throw err;
      }
    },
    exec: (id: string, command: string[], timeoutS: number) =>
      call<FlyExecResponse>(
        'exec',
        'POST',
        `${m(id)}/exec`,
        { command, timeout: timeoutS },
        timeoutS * 1000 + EXEC_MARGIN_MS,
      ),
    createVolume: (body: { name: string; region?: string; size_gb?: number }) =>
      call<FlyVolume>('create volume', 'POST', '/volumes', body),
    getVolume: (id: string) => call<FlyVolume>('get volume', 'GET', `/volumes/${encodeURIComponent(id)}`),
    deleteVolume: (id: string) => call<unknown>('delete volume', 'DELETE', `/volumes/${encodeURIComponent(id)}`),
  };
}
