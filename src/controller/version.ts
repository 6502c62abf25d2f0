/** The controller's own version, reported by GET /_kilo/version (bump with behaviour changes the app can see). */
export const CONTROLLER_VERSION = '1.0.0';
