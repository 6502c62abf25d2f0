// Which machine provider the app runs on: Fly when MACHINE_PROVIDER=fly, else local child processes.
import path from 'node:path';
import type { Config } from '@/platform/config';
import type { Logger } from '@/platform/logger';
import { createFlyProvider } from './fly/fly-provider';
import { createLocalProvider } from './local/local-provider';
import type { MachineProvider } from './provider';

export function providerFromConfig(config: Config, logger: Logger): MachineProvider {
  if (config.MACHINE_PROVIDER === 'fly') {
    const { FLY_INSTANCES_APP: appName, FLY_IMAGE: image } = config;
    if (!appName || !image) throw new Error('MACHINE_PROVIDER=fly needs FLY_INSTANCES_APP and FLY_IMAGE');
    return createFlyProvider({
      baseUrl: config.FLY_API_BASE,
      appName,
      token: config.FLY_API_TOKEN ?? '',
      region: config.FLY_INSTANCES_REGION,
      image,
      controllerUrlTemplate: config.FLY_CONTROLLER_URL,
    });
  }
  return createLocalProvider({ dataDir: path.resolve(config.DATA_DIR), logger: logger.child({ provider: 'local' }) });
}
