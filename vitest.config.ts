import { configDefaults, defineConfig } from 'vitest/config';

// Two projects: `unit` needs no database and starts no process (`npm run test:unit`, seconds);
// `int` (*.int.test.ts) gets the PostgreSQL of test/harness/global-setup.ts and may start
// processes (openclaw, the controller, the whole system). `npm test` runs both.
export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, '**/*.int.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['test/**/*.int.test.ts', 'src/**/*.int.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
