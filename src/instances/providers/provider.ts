// The one interface the lifecycle drives, shaped after the Fly Machines API (machines, volumes,
// exec). `fly` talks to Fly; `local` runs the controller as a child process on this host.

type MachineState = string; // created | starting | started | stopping | stopped | failed | destroying | destroyed | …

export type Machine = {
  id: string;
  name: string;
  state: MachineState;
  /** The volume mounted into the machine, if any. */
  volumeId: string | null;
  metadata: Record<string, string>;
  /** Base URL at which this machine's controller answers (no trailing slash). */
  controllerUrl: string;
};

export type MachineSpec = {
  env: Record<string, string>;
  volumeId: string;
  metadata: Record<string, string>;
};

type Volume = { id: string; name: string };

export type ExecOutput = { stdout: string; stderr: string; exitCode: number };

export type WaitableState = 'started' | 'stopped' | 'destroyed';

export interface MachineProvider {
  readonly kind: 'fly' | 'local';
  createVolume(input: { name: string }): Promise<Volume>;
  /** null when the volume does not exist (404). */
  getVolume(id: string): Promise<Volume | null>;
  /** Succeeds when the volume is already gone. */
  deleteVolume(id: string): Promise<void>;
  /** Creates and launches a machine. Throws MachineNameTaken when the name is in use. */
  createMachine(input: { name: string; spec: MachineSpec }): Promise<Machine>;
  /** null when the machine does not exist or is destroyed. */
  getMachine(id: string): Promise<Machine | null>;
  /** Live (not destroyed) machines whose metadata[key] === value. */
  listMachinesByMetadata(key: string, value: string): Promise<Machine[]>;
  /**
   * Every live machine of the fleet (for Fly: the app), read in pages: what the reconciler compares
   * its rows with, one call per page instead of one per machine.
   */
  listMachines(): Promise<Machine[]>;
  /** Replaces the machine's config (mounts, env, metadata) with `spec`. */
  updateMachine(id: string, spec: MachineSpec): Promise<Machine>;
  startMachine(id: string): Promise<void>;
  stopMachine(id: string): Promise<void>;
  /** Force-destroys; succeeds when the machine is already gone. */
  destroyMachine(id: string): Promise<void>;
  /** Waits up to timeoutMs for the state; false when it was not reached in time. */
  waitForState(id: string, state: WaitableState, timeoutMs: number): Promise<boolean>;
  /** Runs a command in the machine. `command[0] === 'openclaw'` runs the openclaw CLI in the instance's environment. */
  exec(id: string, command: string[], timeoutS: number): Promise<ExecOutput>;
}

/** A provider call that failed; `status` is the HTTP status (null: no answer — network error or timeout). */
export class ProviderError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | null,
    readonly body: unknown,
    message: string,
    /** for a 429: how long the provider asked us to wait */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The provider refused for its rate limit and we did not wait (longer than the caller's budget). */
export const isRateLimited = (err: unknown): err is ProviderError => err instanceof ProviderError && err.status === 429;

/** Create refused because a machine already has this name; the existing id when the provider told us. */
export class MachineNameTaken extends Error {
  constructor(
    readonly machineName: string,
    readonly existingMachineId: string | null,
  ) {
    super(`a machine named ${machineName} already exists${existingMachineId ? ` (${existingMachineId})` : ''}`);
    this.name = 'MachineNameTaken';
  }
}

/** Metadata keys every machine we create carries, so a lost machine id can be found again. */
export const METADATA_USER_ID = 'kiloclaw_user_id';
export const METADATA_INSTANCE_ID = 'kiloclaw_instance_id';
/** Key id (controllerKeyId) of the CONTROLLER_SECRET the machine's tokens were made with. */
export const METADATA_CONTROLLER_KEY = 'kiloclaw_controller_key';
