// Named domain errors of the instance side. The tRPC layer maps them to codes (src/server/errors.ts).
export type InstanceErrorKind = 'not_found' | 'conflict' | 'bad_request' | 'forbidden' | 'unavailable';

export class InstanceError extends Error {
  constructor(
    readonly kind: InstanceErrorKind,
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'InstanceError';
  }
}

export const InstanceNotFound = () =>
  new InstanceError('not_found', 'You have no instance yet — start one first.', 'instance_not_found');

export const InstanceBusy = (what: string) =>
  new InstanceError('conflict', `Your instance is ${what} — wait a moment and try again.`, 'instance_busy');

export const InstanceDestroying = () =>
  new InstanceError(
    'conflict',
    'Your instance is being destroyed — wait until that finishes, then start a new one.',
    'instance_destroying',
  );

/** A machine with our name exists but is mounted on a volume that is not this instance's. */
export const MachineOnAnotherVolume = (machineId: string) =>
  new InstanceError(
    'conflict',
    `A machine with this instance's name (${machineId}) is mounted on another volume; it was not adopted. Contact support.`,
    'machine_on_another_volume',
  );

export const BadPairingInput = (message: string) => new InstanceError('bad_request', message, 'invalid_pairing_input');

/** The machine provider or the instance's controller did not give a usable answer. */
export const InstanceUnavailable = (message: string, code = 'instance_unavailable') =>
  new InstanceError('unavailable', message, code);
