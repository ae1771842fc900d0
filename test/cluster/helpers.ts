/** The cluster suite's daemon: the real Daemon configured with `redis.cluster` (the private test cluster). */
import { inject } from 'vitest';
import { startTestDaemon, type TestDaemon, type TestDaemonOptions } from '../harness/daemon.js';

export function clusterNodes(): string[] {
  return inject('clusterNodes');
}

export async function startClusterDaemon(
  options: Omit<TestDaemonOptions, 'redisUrl'> = {},
): Promise<TestDaemon> {
  const config = options.config ?? {};
  return startTestDaemon({
    ...options,
    // `url` is ignored when `cluster` is set; an unused port proves nothing reaches it.
    redisUrl: 'redis://127.0.0.1:1',
    config: {
      ...config,
      redis: {
        partitions: 8,
        ...((config.redis as Record<string, unknown> | undefined) ?? {}),
        cluster: { nodes: clusterNodes() },
      },
    },
  });
}
