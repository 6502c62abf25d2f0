// A Fly Machines API emulator (plain node:http) reproducing the behaviours our code relies on:
// machines create/get/update/start/stop/delete/list-by-metadata/wait, volumes create/get/delete,
// exec → {stdout, stderr, exit_code}; a 409 on a taken machine name with the existing id in the
// error text; a 404 for a volume that is gone; 408 from /wait; and, on request, machines that never
// start. Each started machine also answers its controller's routes under /vm/<machine id>/_kilo/*.
// Machines play the instance image of the machine contract: one whose environment lacks a variable
// the contract requires fails to start, a controller call must present the token whose sha256 the
// machine was given, and exec knows only the image's entrypoint (there is no bare `openclaw` on PATH).
// Test-only knobs are plain properties of the returned object (no HTTP surface for them).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROLLER_API_VERSION } from '@/contracts/controller';
import { tokenMatchesVerifier } from '@/contracts/controller-token';
import { MACHINE_ENV, MACHINE_IMAGE, machineOpenclawCommand, missingMachineEnv } from '@/contracts/machine';
import { type ControllerGeneration, MachineImage } from './machine-image';

export type EmulatedMachine = {
  id: string;
  name: string;
  state: string;
  region: string;
  instance_id: string;
  private_ip: string;
  config: {
    image?: string;
    env?: Record<string, string>;
    mounts?: Array<{ volume: string; path: string }>;
    metadata?: Record<string, string>;
    guest?: { cpu_kind?: string; cpus?: number; memory_mb?: number };
    stop_config?: { signal?: string; timeout?: string };
  };
  created_at: string;
  image: MachineImage;
  controller: ControllerGeneration;
};
type EmulatedVolume = {
  id: string;
  name: string;
  region: string;
  size_gb: number;
  state: string;
  attached_machine_id: string | null;
};

type Bucket = { perSecond: number; burst: number };
export type RateLimits = {
  /** each mutating action (start, stop, update, delete, exec, wait) per machine */
  machineAction: Bucket;
  /** GET /machines/{id} per machine */
  getMachine: Bucket;
  /** GET /machines (a page of the list) per app */
  list: Bucket;
};

/** Fly's documented limits (the list rate is a guess: Fly does not document it). */
export const FLY_RATE_LIMITS: RateLimits = {
  machineAction: { perSecond: 1, burst: 3 },
  getMachine: { perSecond: 5, burst: 10 },
  list: { perSecond: 5, burst: 10 },
};

/** Token buckets by key: take() answers 0 when allowed, else the seconds to wait. */
function tokenBuckets(now: () => number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string, limit: Bucket): number => {
    const t = now();
    const b = buckets.get(key) ?? { tokens: limit.burst, at: t };
    b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / limit.perSecond));
  };
}

export type FlyEmulator = {
  url: string;
  token: string;
  machines: Map<string, EmulatedMachine>;
  volumes: Map<string, EmulatedVolume>;
  behaviour: {
    /** Machines created or started from now on stay in `starting`. */
    neverStart: boolean;
    /** ms between `starting` and `started`. */
    startDelayMs: number;
    /** Controller generation of machines created from now on. */
    controller: ControllerGeneration;
    /** Extra latency of every exec (the real CLI takes seconds). */
    execDelayMs: number;
    /** Machine lists come back empty (Fly's 2026-04-28 incident: "don't treat an empty list as proof"). */
    listFlap: boolean;
    /** Every API call answers this status (e.g. 503) instead of working. */
    apiFailure: number | null;
    /** Volume deletes answer 500 (a destroy must then be retried). */
    failVolumeDelete: boolean;
    /**
     * ms between an API call taking effect and its answer reaching the caller (Fly's own take tens to
     * hundreds): the window in which a machine exists that its creator has not heard of yet.
     */
    answerDelayMs: number;
    /**
     * Fly's rate limits, answered with 429 and `Retry-After` (seconds) once a bucket is empty; null
     * (the default) means unlimited. Fly documents 1 req/s (burst 3) per action per machine and
     * 5 req/s (burst 10) for Get Machine; the list rate is not documented, so it is a knob here.
     */
    rateLimits: RateLimits | null;
  };
  /** "METHOD /path" of every API call, in order. */
  calls: string[];
  /** The body of every create-machine call, in order (what the provider asked Fly to run). */
  createRequests: Array<{ name?: string; region?: string; config: EmulatedMachine['config'] }>;
  /** The controller URL template for the fly provider. */
  controllerUrlTemplate: string;
  close: () => Promise<void>;
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFlyEmulator(opts: { token?: string; appName?: string } = {}): Promise<FlyEmulator> {
  const token = opts.token ?? `fly-emulator-${hex(8)}`;
  const machines = new Map<string, EmulatedMachine>();
  const volumes = new Map<string, EmulatedVolume>();
  const behaviour: FlyEmulator['behaviour'] = {
    neverStart: false,
    startDelayMs: 20,
    controller: 'current',
    execDelayMs: 0,
    listFlap: false,
    apiFailure: null,
    failVolumeDelete: false,
    answerDelayMs: 0,
    rateLimits: null,
  };
  const calls: string[] = [];
  const createRequests: FlyEmulator['createRequests'] = [];
  const takeToken = tokenBuckets(Date.now);

  /** Seconds the caller must wait (429), or 0 when the call is within Fly's rate limits. */
  function throttled(method: string, parts: string[]): number {
    const limits = behaviour.rateLimits;
    if (!limits) return 0;
    const [kind, id, action] = parts;
    if (kind !== 'machines') return 0;
    if (!id) return method === 'GET' ? takeToken('list', limits.list) : 0;
    if (!action && method === 'GET') return takeToken(`get:${id}`, limits.getMachine);
    return takeToken(`${action ?? method}:${id}`, limits.machineAction);
  }

  function launch(m: EmulatedMachine) {
    m.state = 'starting';
    if (behaviour.neverStart) return;
    // the image's entrypoint and controller exit at once without the contract's variables
    const broken = missingMachineEnv(m.config.env).length > 0;
    setTimeout(() => {
      if (m.state === 'starting') m.state = broken ? 'failed' : 'started';
    }, behaviour.startDelayMs);
  }

  function mountProblem(
    config: EmulatedMachine['config'],
    machineId: string | null,
  ): { status: number; error: string } | null {
    for (const mount of config.mounts ?? []) {
      const v = volumes.get(mount.volume);
      if (!v || v.state === 'destroyed') return { status: 400, error: `volume ${mount.volume} does not exist` };
      if (
        v.attached_machine_id &&
        v.attached_machine_id !== machineId &&
        machines.get(v.attached_machine_id)?.state !== 'destroyed'
      ) {
        return { status: 412, error: `volume ${mount.volume} is already in use by machine ${v.attached_machine_id}` };
      }
    }
    return null;
  }
  function attach(m: EmulatedMachine) {
    for (const v of volumes.values()) if (v.attached_machine_id === m.id) v.attached_machine_id = null;
    for (const mount of m.config.mounts ?? []) {
      const v = volumes.get(mount.volume);
      if (v) v.attached_machine_id = m.id;
    }
  }
  const view = (m: EmulatedMachine) => {
    const { image: _i, controller: _c, ...rest } = m;
    return rest;
  };

  async function api(
    method: string,
    parts: string[],
    query: URLSearchParams,
    body: unknown,
  ): Promise<[number, unknown]> {
    // parts: ['machines', id?, action?] | ['volumes', id?]
    const [kind, id, action] = parts;
    const b = (body ?? {}) as Record<string, unknown>;
    if (behaviour.apiFailure) return [behaviour.apiFailure, { error: 'emulated outage' }];
    if (kind === 'machines' && !id && method === 'GET') {
      if (behaviour.listFlap) return [200, []];
      const filters = [...query.entries()]
        .filter(([k]) => k.startsWith('metadata.'))
        .map(([k, v]) => [k.slice(9), v] as const);
      const list = [...machines.values()].filter(
        (m) => m.state !== 'destroyed' && filters.every(([k, v]) => m.config.metadata?.[k] === v),
      );
      // Cursor paging is opt-in (Fly, 2026-10): without `limit`/`cursor` the whole list, as before.
      // The paged answer's shape is not in Fly's public docs we could read: {machines, next_cursor}.
      if (!query.has('limit') && !query.has('cursor')) return [200, list.map(view)];
      const limit = Math.max(1, Math.min(1000, Number(query.get('limit') ?? 100) || 100));
      const start = Number(query.get('cursor') ?? 0) || 0;
      const page = list.slice(start, start + limit);
      const next = start + limit < list.length ? String(start + limit) : null;
      return [200, { machines: page.map(view), next_cursor: next }];
    }
    if (kind === 'machines' && !id && method === 'POST') {
      const name = typeof b.name === 'string' && b.name ? b.name : `machine-${hex(4)}`;
      const taken = [...machines.values()].find((m) => m.name === name && m.state !== 'destroyed');
      if (taken) {
        // Observed shape (unverified in Fly's docs): the existing id only inside the error text.
        return [
          409,
          {
            error: `already_exists: unable to create machine, machine ID ${taken.id} already exists with name "${name}"`,
            status: 'already_exists',
          },
        ];
      }
      const config = (b.config ?? {}) as EmulatedMachine['config'];
      createRequests.push(structuredClone({ name: b.name as string | undefined, region: b.region as string, config }));
      if (!config.image) return [400, { error: 'config.image is required' }];
      const problem = mountProblem(config, null);
      if (problem) return [problem.status, { error: problem.error }];
      const m: EmulatedMachine = {
        id: hex(7),
        name,
        state: 'created',
        region: typeof b.region === 'string' ? b.region : 'iad',
        instance_id: hex(10).toUpperCase(),
        private_ip: `fdaa:0:1::${machines.size + 2}`,
        config,
        created_at: new Date().toISOString(),
        image: new MachineImage(),
        controller: behaviour.controller,
      };
      machines.set(m.id, m);
      attach(m);
      if (!b.skip_launch) launch(m);
      return [200, view(m)];
    }
    if (kind === 'machines' && id) {
      const m = machines.get(id);
      if (!m) return [404, { error: 'machine not found' }];
      if (!action && method === 'GET') return [200, view(m)];
      if (m.state === 'destroyed') return [404, { error: 'machine not found' }];
      if (!action && method === 'POST') {
        const config = (b.config ?? {}) as EmulatedMachine['config'];
        const problem = mountProblem(config, m.id);
        if (problem) return [problem.status, { error: problem.error }];
        m.config = config;
        m.instance_id = hex(10).toUpperCase();
        attach(m);
        launch(m);
        return [200, view(m)];
      }
      if (!action && method === 'DELETE') {
        if (m.state === 'started' && query.get('force') !== 'true')
          return [412, { error: 'machine is running; stop it or pass force=true' }];
        m.state = 'destroyed';
        for (const v of volumes.values()) if (v.attached_machine_id === m.id) v.attached_machine_id = null;
        return [200, { ok: true }];
      }
      if (action === 'start' && method === 'POST') {
        if (m.state !== 'started' && m.state !== 'starting') launch(m);
        return [200, { previous_state: m.state }];
      }
      if (action === 'stop' && method === 'POST') {
        m.state = 'stopped';
        return [200, { ok: true }];
      }
      if (action === 'wait' && method === 'GET') {
        const want = query.get('state') ?? 'started';
        const timeoutS = Math.min(60, Math.max(1, Number(query.get('timeout') ?? 60)));
        const deadline = Date.now() + timeoutS * 1000;
        while (Date.now() < deadline) {
          if (m.state === want) return [200, { ok: true }];
          if (m.state === 'destroyed') return [404, { error: 'machine not found' }];
          await sleep(10);
        }
        return [408, { error: `deadline exceeded waiting for machine to be ${want}` }];
      }
      if (action === 'exec' && method === 'POST') {
        if (m.state !== 'started') return [412, { error: `machine ${m.id} is not started (${m.state})` }];
        const command = b.command;
        if (!Array.isArray(command) || command.some((c) => typeof c !== 'string') || command.length === 0) {
          return [400, { error: 'command must be a non-empty array of strings' }];
        }
        if (behaviour.execDelayMs) await sleep(behaviour.execDelayMs);
        const viaEntrypoint = machineOpenclawCommand(MACHINE_IMAGE, []);
        if (!viaEntrypoint.every((part, i) => command[i] === part))
          return [200, { stdout: '', stderr: `${command[0]}: not found\n`, exit_code: 127 }];
        return [200, m.image.runCli(command.slice(viaEntrypoint.length) as string[])];
      }
    }
    if (kind === 'volumes' && !id && method === 'POST') {
      if (typeof b.name !== 'string' || !b.name) return [400, { error: 'name is required' }];
      const v: EmulatedVolume = {
        id: `vol_${hex(8)}`,
        name: b.name,
        region: typeof b.region === 'string' ? b.region : 'iad',
        size_gb: typeof b.size_gb === 'number' ? b.size_gb : 3,
        state: 'created',
        attached_machine_id: null,
      };
      volumes.set(v.id, v);
      return [200, v];
    }
    if (kind === 'volumes' && id) {
      const v = volumes.get(id);
      if (!v || v.state === 'destroyed') return [404, { error: 'volume not found' }];
      if (method === 'GET') return [200, v];
      if (method === 'DELETE') {
        if (behaviour.failVolumeDelete) return [500, { error: 'emulated volume delete failure' }];
        const holder = v.attached_machine_id ? machines.get(v.attached_machine_id) : undefined;
        if (holder && holder.state !== 'destroyed')
          return [412, { error: `volume is attached to machine ${holder.id}` }];
        v.state = 'destroyed';
        return [200, v];
      }
    }
    return [404, { error: `no route ${method} /${parts.join('/')}` }];
  }

  function controller(
    m: EmulatedMachine | undefined,
    method: string,
    path: string,
    auth: string | undefined,
    body: unknown,
  ): [number, unknown] {
    // Fly's proxy cannot reach a machine that is not started
    if (m?.state !== 'started') return [502, { error: 'machine not reachable' }];
    if (path === '/_kilo/health') return [200, { status: 'ok' }];
    const presented = /^Bearer (\S+)$/.exec(auth ?? '')?.[1];
    const verifier = m.config.env?.[MACHINE_ENV.controllerTokenSha256] ?? '';
    if (!presented || !tokenMatchesVerifier(presented, verifier)) return [401, { error: 'Unauthorized' }];
    if (path === '/_kilo/version') {
      // an older controller predates the route; the current one reports the contract's version
      if (m.controller === 'legacy') return [404, { code: 'controller_route_unavailable' }];
      return [200, { controller: CONTROLLER_API_VERSION, openclaw: 'OpenClaw (emulated)', node: 'v24.21.0' }];
    }
    if (path === '/_kilo/gateway/status')
      return [200, { state: 'running', pid: 42, uptime: 5, restarts: 0, lastExit: null }];
    if (m.controller === 'legacy') return [404, { code: 'controller_route_unavailable' }];
    const r = m.image.controllerPairing(method, path, body);
    return [r.status, r.body];
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      const method = req.method ?? 'GET';
      const vm = /^\/vm\/([^/]+)(\/_kilo\/.*)$/.exec(url.pathname);
      if (vm) return send(res, ...controller(machines.get(vm[1]!), method, vm[2]!, req.headers.authorization, body));
      const apiPath = /^\/v1\/apps\/([^/]+)\/(.*)$/.exec(url.pathname);
      if (!apiPath) return send(res, 404, { error: 'not found' });
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'unauthorized' });
      if (opts.appName && apiPath[1] !== opts.appName) return send(res, 404, { error: `app ${apiPath[1]} not found` });
      calls.push(`${method} /${apiPath[2]}`);
      const parts = apiPath[2]!.split('/').filter(Boolean);
      const retryAfterS = throttled(method, parts);
      if (retryAfterS > 0) {
        return send(res, 429, { error: 'rate limit exceeded' }, { 'retry-after': String(retryAfterS) });
      }
      const [status, out] = await api(method, parts, url.searchParams, body);
      if (behaviour.answerDelayMs) await sleep(behaviour.answerDelayMs);
      send(res, status, out);
    })().catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    machines,
    volumes,
    behaviour,
    calls,
    createRequests,
    controllerUrlTemplate: `${url}/vm/{machine_id}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
