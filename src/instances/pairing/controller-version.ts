// When an instance becomes ready, the app reads its controller's version (GET /_kilo/version),
// records it on the instance, and logs a controller that differs from the one this app expects
// (the dashboard shows it too). A probe that fails is logged and recorded as unknown (null).
import { eq } from 'drizzle-orm';
import { CONTROLLER_API_VERSION, CONTROLLER_ROUTES, VersionResponse } from '@/contracts/controller';
import type { Db } from '@/db/client';
import { kiloclawInstances } from '@/db/schema';
import type { Logger } from '@/platform/logger';
import { type ControllerTarget, ControllerUnreachable, callController } from '../controller-client';

const VERSION_PROBE_TIMEOUT_MS = 3_000; // answered from memory; a ready controller takes milliseconds

export type ControllerVersionCheck =
  | { ok: true; version: string; openclaw: string | null; matches: boolean }
  | { ok: false; reason: string };

export async function checkControllerVersion(
  deps: { db: Db; logger: Logger; fetch?: typeof fetch },
  target: ControllerTarget,
): Promise<ControllerVersionCheck> {
  const instanceId = target.instanceId;
  let check: ControllerVersionCheck;
  try {
    const answer = await callController(target, 'GET', CONTROLLER_ROUTES.version, {
      timeoutMs: VERSION_PROBE_TIMEOUT_MS,
      fetch: deps.fetch,
    });
    const parsed = answer.status === 200 ? VersionResponse.safeParse(answer.body) : null;
    check = parsed?.success
      ? {
          ok: true,
          version: parsed.data.controller,
          openclaw: parsed.data.openclaw,
          matches: parsed.data.controller === CONTROLLER_API_VERSION,
        }
      : { ok: false, reason: `answered HTTP ${answer.status}${parsed ? ' with an unexpected body' : ''}` };
  } catch (err) {
    check = { ok: false, reason: err instanceof ControllerUnreachable ? err.reason : (err as Error).message };
  }
  if (!check.ok) deps.logger.warn({ instanceId, reason: check.reason }, 'controller version probe failed');
  else if (!check.matches)
    deps.logger.warn(
      { instanceId, controllerVersion: check.version, expected: CONTROLLER_API_VERSION },
      'controller version differs from the one this app expects',
    );
  try {
    await deps.db
      .update(kiloclawInstances)
      .set({ controllerVersion: check.ok ? check.version : null })
      .where(eq(kiloclawInstances.id, instanceId));
  } catch (err) {
    deps.logger.error({ instanceId, err: (err as Error).message }, 'could not record the controller version');
  }
  return check;
}
