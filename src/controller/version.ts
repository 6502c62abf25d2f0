import { CONTROLLER_API_VERSION } from '../contracts/controller';

/** The controller's own version, reported by GET /_kilo/version (bumped in the contract, which the app checks). */
export const CONTROLLER_VERSION = CONTROLLER_API_VERSION;
