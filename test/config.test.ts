import { describe, expect, it } from 'vitest';
import { appSecrets, ConfigError, loadConfig, withEmbeddedDefaults } from '@/platform/config';

describe('config', () => {
  it('runs on defaults with nothing set', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.appUrl).toBe('http://localhost:3000');
    expect(c.schedulerEnabled).toBe(true);
    expect(c.MACHINE_PROVIDER).toBe('local');
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ CRON_SECRET: 'short' })).toThrow(/CRON_SECRET: must be at least 16/);
  });

  it('lists every secret production needs, all at once', () => {
    try {
      loadConfig({ APP_ENV: 'production' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const names = (err as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(names).toEqual(
        expect.arrayContaining(['DATABASE_URL', 'AUTH_SECRET', 'CRON_SECRET', 'STRIPE_SECRET_KEY', 'SMTP_URL']),
      );
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('turns the in-process scheduler off in production unless asked', () => {
    const prod = {
      APP_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/k',
      AUTH_SECRET: 'x'.repeat(32),
      CRON_SECRET: 'y'.repeat(16),
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      SMTP_URL: 'smtp://mail:25',
      CONTROLLER_SECRET: 'z'.repeat(32),
    };
    expect(loadConfig(prod).schedulerEnabled).toBe(false);
    expect(loadConfig({ ...prod, SCHEDULER: 'on' }).schedulerEnabled).toBe(true);
  });

  it('names each app secret that is missing, and hands out the ones that are set', () => {
    try {
      appSecrets(loadConfig({}));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['AUTH_SECRET', 'CONTROLLER_SECRET']);
    }
    const secrets = { AUTH_SECRET: 'a'.repeat(32), CONTROLLER_SECRET: 'c'.repeat(32) };
    expect(appSecrets(loadConfig(secrets))).toEqual({ authSecret: 'a'.repeat(32), controllerSecret: 'c'.repeat(32) });
  });

  it('fills only unset variables with the embedded defaults, in the environment it reads', () => {
    const env: Record<string, string | undefined> = { STRIPE_API_BASE: 'http://127.0.0.1:1' };
    const config = withEmbeddedDefaults(
      {
        DATABASE_URL: 'postgres://u@127.0.0.1:5/db',
        STRIPE_API_BASE: 'http://127.0.0.1:2',
        AUTH_SECRET: 'x'.repeat(32),
      },
      env,
    );
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://u@127.0.0.1:5/db',
      STRIPE_API_BASE: 'http://127.0.0.1:1',
      AUTH_SECRET: 'x'.repeat(32),
    });
    expect(env.DATABASE_URL).toBe('postgres://u@127.0.0.1:5/db');
  });
});
