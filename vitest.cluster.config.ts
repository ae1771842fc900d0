import { defineConfig } from 'vitest/config';

/** The Redis Cluster suite (npm run test:cluster): the daemon against a private three-master cluster. */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.ts'],
    globalSetup: ['test/cluster/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
