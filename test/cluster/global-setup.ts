/** vitest globalSetup of the cluster suite: one private three-master Redis Cluster for the whole run. */
import type { TestProject } from 'vitest/node';
import { TestRedisCluster } from '../harness/redis-cluster.js';

let cluster: TestRedisCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  cluster = await new TestRedisCluster().start();
  project.provide('clusterNodes', cluster.urls);
}

export async function teardown(): Promise<void> {
  await cluster?.destroy();
}

declare module 'vitest' {
  export interface ProvidedContext {
    clusterNodes: string[];
  }
}
