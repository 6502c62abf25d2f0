// "Started" at the provider is not "ready": the instance is running once its controller reports
// the openclaw gateway as running.
import { CONTROLLER_ROUTES, GatewayStatus } from '@/contracts/controller';
import { type ControllerTarget, callController } from '../controller-client';

const POLL_MS = 500;
const PROBE_TIMEOUT_MS = 3_000;

/** One probe: true when the controller answers and its gateway is running. Never throws. */
export async function gatewayRunning(target: ControllerTarget): Promise<boolean> {
  try {
    const answer = await callController(target, 'GET', CONTROLLER_ROUTES.gatewayStatus, {
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (answer.status !== 200) return false;
    const parsed = GatewayStatus.safeParse(answer.body);
    return parsed.success && parsed.data.state === 'running';
  } catch {
    return false;
  }
}

/** Polls until the gateway runs or `deadline` (epoch ms) passes. */
export async function waitForGateway(target: ControllerTarget, deadline: number): Promise<boolean> {
  for (;;) {
    if (await gatewayRunning(target)) return true;
    if (Date.now() + POLL_MS > deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
