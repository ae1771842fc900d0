import { defineConfig } from 'vitest/config';

/** The fault suite (npm run test:faults): real processes, real signals; FAULTS_SHORT=1 for the CI form. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
