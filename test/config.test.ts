import { describe, expect, it } from 'vitest';
import { appSecrets, ConfigError, loadConfig, withEmbeddedDefaults } from '@/platform/config';

/** A complete production configuration; each test below breaks one part of it. */
const PRODUCTION = {
  APP_ENV: 'production',
  APP_URL: 'https://claw.example.com',
  DATABASE_URL: 'postgres://u:p@db:5432/k',
  AUTH_SECRET: 'x'.repeat(32),
  CRON_SECRET: 'y'.repeat(16),
  STRIPE_SECRET_KEY: 'sk_live_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  SMTP_URL: 'smtp://mail:25',
  CONTROLLER_SECRET: 'z'.repeat(32),
  CHANNEL_TOKEN_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  MACHINE_PROVIDER: 'fly',
  FLY_API_TOKEN: 'fly-token',
  FLY_INSTANCES_APP: 'kiloclaw-machines',
  FLY_IMAGE: 'registry.fly.io/kiloclaw:1',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}
const namesOf = (problems: string[]) => problems.map((p) => p.split(':')[0]);

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
    const prod = PRODUCTION;
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

  it('accepts a complete production configuration', () => {
    expect(problemsOf(PRODUCTION)).toEqual([]);
    expect(loadConfig(PRODUCTION).isProduction).toBe(true);
  });

  it('refuses production without DATABASE_URL, and says why', () => {
    const problems = problemsOf({ ...PRODUCTION, DATABASE_URL: undefined });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL: required .*embedded PostgreSQL/)]);
  });

  it('refuses the local machine provider in production, set or by default', () => {
    for (const provider of ['local', undefined]) {
      const problems = problemsOf({ ...PRODUCTION, MACHINE_PROVIDER: provider });
      expect(problems).toEqual([expect.stringMatching(/^MACHINE_PROVIDER: must be fly .*web host/)]);
    }
  });

  it('refuses an APP_URL that is not https in production, or none', () => {
    for (const url of ['http://claw.example.com', undefined]) {
      expect(namesOf(problemsOf({ ...PRODUCTION, APP_URL: url }))).toEqual(['APP_URL']);
    }
    expect(problemsOf({ ...PRODUCTION, APP_URL: undefined, APP_ENV: 'development' })).toEqual([]);
  });

  it('names every problem in one message, malformed values and production rules together', () => {
    const problems = problemsOf({ APP_ENV: 'production', CRON_SECRET: 'short', APP_URL: 'http://x.example' });
    expect(namesOf(problems)).toEqual(
      expect.arrayContaining([
        'CRON_SECRET',
        'DATABASE_URL',
        'AUTH_SECRET',
        'STRIPE_SECRET_KEY',
        'SMTP_URL',
        'CONTROLLER_SECRET',
        'MACHINE_PROVIDER',
        'APP_URL',
      ]),
    );
    try {
      loadConfig({ APP_ENV: 'production' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message.match(/Invalid configuration/g)).toHaveLength(1);
      for (const name of ['DATABASE_URL', 'MACHINE_PROVIDER', 'APP_URL'])
        expect((err as Error).message).toContain(name);
    }
  });

  it('takes the previous controller secret during a rotation, but not the current one again', () => {
    const rotating = { ...PRODUCTION, CONTROLLER_SECRET_PREVIOUS: 'p'.repeat(32) };
    expect(loadConfig(rotating).CONTROLLER_SECRET_PREVIOUS).toBe('p'.repeat(32));
    expect(namesOf(problemsOf({ ...PRODUCTION, CONTROLLER_SECRET_PREVIOUS: PRODUCTION.CONTROLLER_SECRET }))).toEqual([
      'CONTROLLER_SECRET_PREVIOUS',
    ]);
    expect(namesOf(problemsOf({ ...PRODUCTION, CONTROLLER_SECRET_PREVIOUS: 'short' }))).toEqual([
      'CONTROLLER_SECRET_PREVIOUS',
    ]);
  });
});
