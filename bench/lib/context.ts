/** What every benchmark receives, and what it reports. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { FakeAmiServer } from '../../test/fakes/fake-ami-server.js';
import { TestRedis } from '../../test/harness/redis-server.js';
import { onCleanup } from './cleanup.js';

export interface BenchContext {
  quick: boolean;
  /** Logs, generated configs and profiles of this run. */
  workDir: string;
  /** Extra node flags for the daemon child (e.g. --cpu-prof). */
  daemonNodeArgs: string[];
  log(message: string): void;
}

/** One line of the results table. */
export interface Row {
  bench: string;
  metric: string;
  value: string;
  baseline?: string;
  ratio?: string;
  goal?: string;
  met?: boolean;
}

export interface BenchResult {
  name: string;
  rows: Row[];
  /** Raw numbers for latest.json. */
  data: Record<string, unknown>;
}

/** A private redis-server for one benchmark, stopped (and its directory removed) at cleanup. */
export async function privateRedis(): Promise<{ server: TestRedis; client: Redis }> {
  const server = await new TestRedis().start();
  onCleanup('redis-server', () => server.destroy());
  const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  onCleanup('redis client', () => client.disconnect());
  return { server, client };
}

export async function fakeAmi(): Promise<FakeAmiServer> {
  const fake = await new FakeAmiServer().start();
  onCleanup('fake AMI server', () => fake.stop());
  return fake;
}

export function subDir(ctx: BenchContext, name: string): string {
  const dir = join(ctx.workDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
