// What the lifecycle functions depend on; the composition root builds one of these.

import { machineSecretsEnv } from '@/contracts/machine';
import type { Db } from '@/db/client';
import type { InstanceStatus } from '@/db/schema';
import type { Clock } from '@/platform/clock';
import { errorMessage } from '@/platform/error-message';
import type { Logger } from '@/platform/logger';
import type { ControllerTarget } from '../controller-client';
import type { InstanceRow } from '../instance-store';
import { type MachineProvider, type MachineSpec, METADATA_INSTANCE_ID, METADATA_USER_ID } from '../providers/provider';

export type InstanceDeps = {
  db: Db;
  clock: Clock;
  logger: Logger;
  provider: MachineProvider;
  /** HMAC key of the per-instance controller tokens. */
  controllerSecret: string;
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

export const viewOf = (row: InstanceRow | null): InstanceView =>
  row
    ? {
        status: row.status,
        updatedAt: row.statusChangedAt,
        lastError: row.lastError,
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
    metadata: { [METADATA_USER_ID]: row.userId, [METADATA_INSTANCE_ID]: row.id },
  };
}

/** A Fly volume name: lowercase letters, digits and underscores, at most 30 characters. */
export const volumeNameFor = (instanceId: string) => `kc_${instanceId.replaceAll('-', '').slice(0, 27)}`;

/** An error as the instance's stored lastError: its message, bounded (logs use errorMessage itself). */
export const lastErrorOf = (err: unknown) => errorMessage(err).slice(0, 500);
