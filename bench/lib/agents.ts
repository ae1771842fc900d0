/**
 * Agents for the PBX benchmarks: users with a FreePBX extension and one queue, the matching FreePBX facts on the
 * fake AMI server (AMPUSER entries, queues), creation through the daemon's API, and "settled" detection (outbox
 * dispatched and no sync job waiting or running).
 */
import type { Redis } from 'ioredis';
import { Keys } from '../../src/bridge/redis/keys.js';
import type { FakeAmiServer } from '../../test/fakes/fake-ami-server.js';
import { forEachLimit, until, type Api } from './http.js';

export interface Agent {
  id: string;
  ext: string;
  queue: string;
}

export const MEMBER = (ext: string): string => `Local/${ext}@from-queue/n`;

/** `count` agents, spread over `queues` queues (a contact center has many small queues, not one huge one). */
export function makeAgents(count: number, queues = 100, first = 0): Agent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = first + k;
    return { id: `agent-${i}`, ext: String(10_000 + i), queue: `q${i % queues}` };
  });
}

/** What FreePBX holds for each extension before the bridge touches it. */
export function seedPbx(fake: FakeAmiServer, agents: readonly Agent[]): void {
  for (const a of agents) {
    if (!fake.queues.has(a.queue)) fake.addQueue(a.queue, []);
    fake.db.set(`AMPUSER/${a.ext}/cidname`, `Agent ${a.ext}`);
    fake.db.set(`AMPUSER/${a.ext}/device`, a.ext);
  }
}

/** PUT /v1/users/{id} with the PBX extension and queue, then POST /v1/users/{id}/shift (status Active). */
export async function createAgents(
  api: Api,
  agents: readonly Agent[],
  {
    concurrency = 64,
    shift = true,
    pbx = true,
  }: { concurrency?: number; shift?: boolean; pbx?: boolean } = {},
): Promise<void> {
  await forEachLimit(agents.length, concurrency, async (i) => {
    const a = agents[i] as Agent;
    await api.expect(
      'PUT',
      `/v1/users/${a.id}`,
      pbx
        ? { displayName: `Agent ${a.ext}`, pbx: { connection: 'main', extension: a.ext }, queues: [a.queue] }
        : { displayName: `Agent ${a.ext}` },
      [200, 201],
    );
    if (shift) await api.expect('POST', `/v1/users/${a.id}/shift`, {}, [200]);
  });
}

export interface Backlog {
  outboxLag: number;
  outboxPending: number;
  syncWaiting: number;
  syncActive: number;
  syncDelayed: number;
}

/** The daemon's work still to do: outbox entries not yet dispatched, sync jobs waiting or running. */
export async function backlog(api: Api, redis: Redis, keys: Keys): Promise<Backlog> {
  let outboxLag = 0;
  let outboxPending = 0;
  for (const p of keys.allPartitions()) {
    const groups = (await redis.call('XINFO', 'GROUPS', keys.events(p)).catch(() => [])) as unknown[][];
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      if (info.get('name') !== 'dispatch') continue;
      outboxLag += Number(info.get('lag') ?? 0);
      outboxPending += Number(info.get('pending') ?? 0);
    }
  }
  const { sync } = (await api.expect('GET', '/v1/pbx', undefined, [200])).body as {
    sync: { waiting: number; active: number; delayed: number };
  };
  return {
    outboxLag,
    outboxPending,
    syncWaiting: sync.waiting,
    syncActive: sync.active,
    syncDelayed: sync.delayed,
  };
}

/**
 * Waits until the outbox is dispatched and no sync job waits or runs, twice in a row (a job may be between
 * states). One delayed job is always there: the periodic reconcile's scheduler.
 */
export async function waitSettled(api: Api, redis: Redis, keys: Keys, timeoutMs = 120_000): Promise<void> {
  let quiet = 0;
  await until(
    async () => {
      const b = await backlog(api, redis, keys);
      const idle =
        b.outboxLag === 0 &&
        b.outboxPending === 0 &&
        b.syncWaiting === 0 &&
        b.syncActive === 0 &&
        b.syncDelayed <= 1;
      quiet = idle ? quiet + 1 : 0;
      return quiet >= 2;
    },
    'the daemon to settle (outbox dispatched, sync queue empty)',
    timeoutMs,
    100,
  );
}

export const daemonKeys = (): Keys => new Keys('pb:', 8);
