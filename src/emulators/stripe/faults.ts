// Test controls over the API itself: make the next matching calls fail the way Stripe or the network
// fails (an error answer of a given status and type, or a dropped connection), and hold answers until
// released (a slow Stripe), so tests can prove what the app does meanwhile.
import type http from 'node:http';

export type Fault = {
  method?: string;
  /** matched against the request path, e.g. /^\/v1\/subscriptions\// */
  path: RegExp;
  /** how many calls fail (default 1) */
  times?: number;
} & ({ kind: 'error'; status: number; type: string; message: string; code?: string } | { kind: 'drop' });

export class ApiFaults {
  private faults: Array<Fault & { left: number }> = [];
  private held: Array<() => void> = [];
  private holding = false;

  add(f: Fault): void {
    this.faults.push({ ...f, left: f.times ?? 1 });
  }

  /** The fault for this call, if any (consumes one of its uses). */
  take(method: string, path: string): Fault | null {
    const f = this.faults.find((x) => x.left > 0 && (!x.method || x.method === method) && x.path.test(path));
    if (!f) return null;
    f.left--;
    return f;
  }

  hold(on: boolean): void {
    this.holding = on;
    if (!on) for (const release of this.held.splice(0)) release();
  }

  /** Calls waiting for hold(false). */
  heldCount(): number {
    return this.held.length;
  }

  /** Runs `answer` now, or when the hold is lifted. */
  gate(answer: () => void): void {
    if (this.holding) this.held.push(answer);
    else answer();
  }
}

/** Answers with the fault: an error body as Stripe sends it, or a connection closed without a reply. */
export function answerFault(res: http.ServerResponse, f: Fault, requestId: string): void {
  if (f.kind === 'drop') {
    res.socket?.destroy();
    return;
  }
  res.writeHead(f.status, { 'content-type': 'application/json', 'request-id': requestId });
  res.end(JSON.stringify({ error: { type: f.type, message: f.message, ...(f.code ? { code: f.code } : {}) } }));
}
