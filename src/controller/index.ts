// Entry point of the in-machine controller: config from the environment, then run until
// SIGTERM/SIGINT (stop the caches, stop the gateway, close the server). The same file started with
// --pairing-worker is the controller's pairing worker (pairing-worker.ts).

import { createController } from './app';
import { type ControllerConfig, ControllerConfigError, loadControllerConfig } from './config';
import { createLogger } from './log';
import { runPairingWorker } from './pairing-worker';

export const PAIRING_WORKER_FLAG = '--pairing-worker';

async function main(): Promise<void> {
  let config: ControllerConfig;
  try {
    config = loadControllerConfig(process.env);
  } catch (error) {
    if (error instanceof ControllerConfigError) {
      process.stderr.write(`controller: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger({ secrets: [config.token, config.gateway.token].filter(Boolean) });
  const script = process.argv[1];
  const controller = createController(config, log, {
    workerCommand: script ? [process.execPath, script, PAIRING_WORKER_FLAG] : undefined,
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    controller.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('exit', () => controller.supervisor?.killNow());

  try {
    await controller.start();
  } catch (error) {
    log.error({ error }, 'controller failed to start');
    controller.supervisor?.killNow();
    process.exit(1);
  }
}

// an error main() does not handle is an unhandled rejection: Node prints it and exits non-zero
if (process.argv.includes(PAIRING_WORKER_FLAG)) void runPairingWorker();
else void main();
