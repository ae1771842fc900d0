/**
 * The outbox dispatcher on a real Redis: a read spanning partitions is handled and acknowledged as a whole, and a reader with nothing to do (the webhook fan-out while no
 * endpoint exists) skips the entries instead of reading them: it moves its group to the streams' tails, never reads
 * an entry committed before it became busy, and reads everything committed after. Pending entries still come first.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { OutboxDispatcher } from '../../src/bridge/outbox/dispatcher.js';
import type { StreamEntry } from '../../src/bridge/outbox/outbox-entry.js';
import { createLogger } from '../../src/bridge/logger.js';
import { Keys } from '../../src/bridge/redis/keys.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const GROUP = 'webhooks';

async function setup(idle: () => boolean) {
  const keys = new Keys(uniquePrefix('idle'), 2);
  const redis = new Redis(inject('redisUrl'));
  cleanups.push(() => redis.disconnect());
  const seen: string[] = [];
  const reads: string[] = [];
  const reader = new Redis(inject('redisUrl'));
  // Every XREADGROUP of new entries the dispatcher sends.
  const call = reader.call.bind(reader) as (...args: unknown[]) => Promise<unknown>;
  (reader as unknown as { call: typeof call }).call = (...args: unknown[]) => {
    if (args[0] === 'XREADGROUP' && args.at(-1) === '>') reads.push(String(args[0]));
    return call(...args);
  };
  const dispatcher = new OutboxDispatcher(
    reader,
    keys,
    [async (e: StreamEntry) => void seen.push(e.data.n as string)],
    createLogger('silent'),
    { group: GROUP, startId: '$', consumer: 'fanout', blockMs: 50, idle: async () => idle() },
  );
  const append = (n: string, partition = 0) =>
    redis.xadd(
      keys.events(partition),
      '*',
      'type',
      'user.status.changed',
      'user',
      `u${partition}`,
      'data',
      JSON.stringify({ n }),
    );
  const lastDelivered = async (): Promise<string> => {
    const groups = (await redis.call('XINFO', 'GROUPS', keys.events(0))) as unknown[][];
    const group = groups.map((g) => Object.fromEntries(chunk(g))).find((g) => g.name === GROUP);
    return String(group?.['last-delivered-id']);
  };
  cleanups.push(() => dispatcher.stop());
  return { keys, redis, dispatcher, seen, reads, append, lastDelivered };
}

function chunk(flat: unknown[]): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}

describe('the outbox dispatcher', () => {
  it('handles a read over several partitions and acknowledges all of it', async () => {
    const h = await setup(() => false);
    await h.dispatcher.start();
    await Promise.all([h.append('a', 0), h.append('b', 1), h.append('c', 0), h.append('d', 1)]);
    await waitFor(() => h.seen.length === 4, { what: 'four entries' });
    expect(h.seen.filter((n) => n === 'a' || n === 'c')).toEqual(['a', 'c']);
    for (const p of [0, 1])
      await waitFor(async () => ((await h.redis.xpending(h.keys.events(p), GROUP)) as [number])[0] === 0, {
        what: `partition ${p} acknowledged`,
      });
  });
});

describe('an idle consumer-group reader', () => {
  it('moves its group past what it skipped, and reads what comes after it is busy again', async () => {
    let idle = true;
    const h = await setup(() => idle);
    await h.dispatcher.start();
    const skipped = (await h.append('skipped-1')) as string;
    await h.append('skipped-2');
    const tail = (await h.append('skipped-3')) as string;
    await waitFor(async () => (await h.lastDelivered()) === tail, { what: 'the group at the tail' });
    expect(skipped < tail).toBe(true);
    expect(h.reads).toEqual([]);

    idle = false;
    h.dispatcher.wake();
    await h.append('read-1');
    await waitFor(() => h.seen.includes('read-1'), { what: 'the entry after becoming busy' });
    expect(h.seen).toEqual(['read-1']);
    expect(h.reads.length).toBeGreaterThan(0);
  });

  it('still handles its pending entries first', async () => {
    const h = await setup(() => true);
    await h.redis.xgroup('CREATE', h.keys.events(0), GROUP, '$', 'MKSTREAM');
    await h.append('pending');
    // A predecessor read it and crashed before acknowledging.
    await h.redis.xreadgroup('GROUP', GROUP, 'fanout', 'COUNT', 10, 'STREAMS', h.keys.events(0), '>');
    await h.dispatcher.start();
    await waitFor(() => h.seen.includes('pending'), { what: 'the pending entry' });
    const pending = (await h.redis.xpending(h.keys.events(0), GROUP)) as [number];
    expect(pending[0]).toBe(0);
  });
});
