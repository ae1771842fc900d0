/**
 * The sync hot path's outbox consumer on a real Redis: committed changes are coalesced per user, entries of other
 * connections are acknowledged unsynced, an entry is acknowledged only after its sync succeeded (a failure leaves it
 * pending and it is claimed again), and a new holder takes over what a vanished holder had read and not acknowledged.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/bridge/logger.js';
import { Keys } from '../../src/bridge/redis/keys.js';
import {
  OutboxSyncConsumer,
  eachUser,
  ensureSyncGroups,
  syncBacklog,
  syncGroupName,
} from '../../src/bridge/sync/outbox-consumer.js';
import { SYNC_TRIGGERS } from '../../src/bridge/sync/sync-worker.js';
import { startTestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';

const url = inject('redisUrl');
const redis = new Redis(url);
afterAll(() => redis.quit());

const log = createLogger('silent');
const consumers: OutboxSyncConsumer[] = [];
afterEach(async () => {
  for (const c of consumers.splice(0)) await c.stop();
});

/** What a commit writes (commitUser: type, user, data, pbx). */
async function commit(
  keys: Keys,
  userId: string,
  pbx: string,
  type = 'user.status.changed',
): Promise<string> {
  const id = await redis.xadd(
    keys.events(keys.partitionOf(userId)),
    '*',
    'type',
    type,
    'user',
    userId,
    'data',
    '{}',
    'pbx',
    pbx,
  );
  return id as string;
}

function consumer(keys: Keys, syncOne: (userId: string) => Promise<void>, claimIdleMs = 5000) {
  const c = new OutboxSyncConsumer(
    new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null }),
    redis,
    keys,
    'main',
    `c-${consumers.length}`,
    { triggers: SYNC_TRIGGERS, connectionOf: async () => undefined },
    eachUser(syncOne),
    log,
    { concurrency: 4, blockMs: 50, claimIdleMs },
  );
  consumers.push(c);
  return c;
}

const pending = async (keys: Keys): Promise<number> => {
  let n = 0;
  for (const p of keys.allPartitions())
    n += Number(((await redis.xpending(keys.events(p), syncGroupName('main'))) as [number])[0]);
  return n;
};

describe('outbox sync consumer', () => {
  it('coalesces a user’s changes into one sync, skips other connections and types, and acknowledges all', async () => {
    const keys = new Keys(uniquePrefix('osc'), 4);
    await ensureSyncGroups(redis, keys, 'main');
    for (let i = 0; i < 5; i++) await commit(keys, 'u1', 'main');
    await commit(keys, 'u2', 'main');
    await commit(keys, 'u3', 'other');
    await commit(keys, 'u4', '');
    await commit(keys, 'u5', 'main', 'user.note.changed');
    expect(await syncBacklog(redis, keys, 'main')).toBe(9);
    const synced: string[] = [];
    consumer(keys, async (userId) => void synced.push(userId)).start();
    await waitFor(async () => (await syncBacklog(redis, keys, 'main')) === 0, { what: 'all acknowledged' });
    expect(synced.sort()).toEqual(['u1', 'u2']);
  });

  it('keeps an entry pending while its sync fails and acknowledges it after the retry succeeds', async () => {
    const keys = new Keys(uniquePrefix('osc'), 2);
    await ensureSyncGroups(redis, keys, 'main');
    let calls = 0;
    consumer(
      keys,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('Redis away');
      },
      100,
    ).start();
    await commit(keys, 'u1', 'main');
    await waitFor(() => calls === 1, { what: 'first attempt' });
    expect(await pending(keys)).toBe(1);
    await waitFor(() => calls >= 2, { what: 'claimed again' });
    await waitFor(async () => (await pending(keys)) === 0, { what: 'acknowledged after success' });
  });

  it('takes over at once what a vanished holder read and never acknowledged', async () => {
    const keys = new Keys(uniquePrefix('osc'), 2);
    await ensureSyncGroups(redis, keys, 'main');
    await commit(keys, 'u1', 'main');
    await commit(keys, 'u2', 'main');
    // The old holder read both, then died (kill -9) before syncing.
    for (const p of keys.allPartitions())
      await redis.xreadgroup('GROUP', syncGroupName('main'), 'old', 'STREAMS', keys.events(p), '>');
    expect(await pending(keys)).toBe(2);
    const synced: string[] = [];
    consumer(keys, async (userId) => void synced.push(userId)).start();
    await waitFor(async () => (await pending(keys)) === 0, {
      what: 'claimed and acknowledged',
      timeoutMs: 2000,
    });
    expect(synced.sort()).toEqual(['u1', 'u2']);
  });

  it('records a change of a user on a connection that is not configured as a failed sync (no holder reads it)', async () => {
    const d = await startTestDaemon({ redisUrl: url });
    try {
      await d.request('admin', 'PUT', '/v1/users/u1', {
        displayName: 'u1',
        pbx: { connection: 'nowhere', extension: '1001' },
      });
      const sync = await waitFor(
        async () => {
          const s = (await d.request('admin', 'GET', '/v1/users/u1')).body.pbx?.sync;
          return s?.state === 'failed' ? s : null;
        },
        { what: 'failed sync record' },
      );
      expect(sync.lastError.code).toBe('PBX_UNKNOWN_VALUE');
    } finally {
      await d.stop();
    }
  });
});
