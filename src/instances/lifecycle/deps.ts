// What the lifecycle functions depend on; the composition root builds one of these.

import { controllerKeyId } from '@/contracts/controller-token';
import { machineSecretsEnv } from '@/contracts/machine';
import type { Db } from '@/db/client';
import type { InstanceStatus } from '@/db/schema';
import type { Clock } from '@/platform/clock';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import type { ControllerTarget } from '../controller-client';
import { type InstanceRow, STOP_FAILED_PREFIX } from '../instance-store';
import {
  type Machine,
  type MachineProvider,
  type MachineSpec,
  METADATA_CONTROLLER_KEY,
  METADATA_INSTANCE_ID,
  METADATA_USER_ID,
} from '../providers/provider';
import { START_TIMED_OUT } from '../transitions';

export type InstanceDeps = {
  db: Db;
  clock: Clock;
  logger: Logger;
  provider: MachineProvider;
  /** HMAC key of the per-instance controller tokens. */
  controllerSecret: string;
  /** The key before the current one, during a rotation: still accepted by machines not yet updated. */
  controllerSecretPrevious?: string;
  /** How long a start call waits for the machine and its gateway before answering `starting`. */
  startWaitMs: number;
  /**
   * Pushes the instance's desired chat channels to its running machine (on start, and by the
   * reconciler); true when the machine had to change something.
   */
  applyChannels?: (instanceId: string, target: ControllerTarget) => Promise<boolean>;
  /** Development machines: the controller may record simulated pairing requests (never in production). */
  devTools?: boolean;
};

export type InstanceView = {
  status: InstanceStatus | 'none';
  updatedAt: Date | null;
  lastError: string | null;
  /** the controller version read when it became ready (null: not read, or the probe failed) */
  controllerVersion: string | null;
};

/**
 * The last problem in words for the customer. The stored text is for the operator (a provider's raw
 * answer, an address, an id of someone else's volume) and never leaves the server: each kind of
 * problem gets our own sentence.
 */
function publicProblem(lastError: string | null): string | null {
  if (!lastError) return null;
  if (lastError.startsWith(STOP_FAILED_PREFIX)) return 'The machine did not stop when asked; KiloClaw keeps trying.';
  if (lastError.startsWith('destroy (')) return 'Removing the machine has not finished; KiloClaw keeps trying.';
  if (lastError === START_TIMED_OUT) return 'The machine did not start in time.';
  if (lastError.startsWith('machine ')) return 'The machine stopped unexpectedly.';
  return 'The machine could not be started.';
}

export const viewOf = (row: InstanceRow | null): InstanceView =>
  row
    ? {
        status: row.status,
        updatedAt: row.statusChangedAt,
        lastError: publicProblem(row.lastError),
        controllerVersion: row.controllerVersion,
      }
    : { status: 'none', updatedAt: null, lastError: null, controllerVersion: null };

/** The machine config of an instance: its volume, its controller token, and the metadata that finds it again. */
export function machineSpec(
  deps: Pick<InstanceDeps, 'controllerSecret' | 'devTools'>,
  row: Pick<InstanceRow, 'id' | 'userId'>,
  volumeId: string,
): MachineSpec {
  return {
    env: {
      ...machineSecretsEnv(deps.controllerSecret, row.id),
      ...(deps.devTools ? { CONTROLLER_DEV_TOOLS: 'on' } : {}),
    },
    volumeId,
    metadata: {
      [METADATA_USER_ID]: row.userId,
      [METADATA_INSTANCE_ID]: row.id,
      [METADATA_CONTROLLER_KEY]: controllerKeyId(deps.controllerSecret),
    },
  };
}

/** How the app reaches an instance's controller: the current key, and the previous one during a rotation. */
export const controllerTarget = (
  deps: Pick<InstanceDeps, 'controllerSecret' | 'controllerSecretPrevious'>,
  baseUrl: string,
  instanceId: string,
): ControllerTarget => ({
  baseUrl,
  instanceId,
  secret: deps.controllerSecret,
  ...(deps.controllerSecretPrevious ? { previousSecret: deps.controllerSecretPrevious } : {}),
});

/**
 * The machine's tokens were made with another key than the current one. A machine from before key ids
 * has none: outside a rotation its token is the current key's (there was no other), so the fleet is
 * not restarted for a label; during a rotation it may be the previous key's, so it gets the new token.
 */
export function carriesOldKey(
  deps: Pick<InstanceDeps, 'controllerSecret' | 'controllerSecretPrevious'>,
  machine: Machine,
): boolean {
  const keyId = machine.metadata[METADATA_CONTROLLER_KEY];
  if (keyId === undefined) return Boolean(deps.controllerSecretPrevious);
  return keyId !== controllerKeyId(deps.controllerSecret);
}

/** A Fly volume name: lowercase letters, digits and underscores, at most 30 characters. */
export const volumeNameFor = (instanceId: string) => `kc_${instanceId.replaceAll('-', '').slice(0, 27)}`;

/** An error as the instance's stored lastError: its message, bounded (logs use errorMessage itself). */
export const lastErrorOf = (err: unknown) => errorMessage(err).slice(0, 500);
