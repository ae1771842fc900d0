/** vitest globalSetup: one private redis-server for the whole run; tests isolate by key prefix. */
import type { TestProject } from 'vitest/node';
import { TestRedis } from './redis-server.js';

let redis: TestRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  redis = await new TestRedis().start();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.destroy();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
