/**
 * What a Redis Cluster needs that one server does not (docs/architecture.md, "Commit and outbox": hash tags): a pipeline may only hold commands
 * of one slot, SCAN sees one node's keys, and one blocking read may only name streams of one slot. Every helper
 * behaves exactly as before on a single node (or Sentinel) client.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { clusterOf } from './connection.js';

export type PipelineResult = Array<[Error | null, unknown]>;

/**
 * Runs the commands `add` queues for each item as one pipeline on a single node, or, in a cluster, as one
 * pipeline per group (items of a group must share a slot: group by partition), all in parallel. The result is
 * the same flat list either way: every item's replies, in item order.
 */
export async function execGrouped<T>(
  redis: Redis,
  items: readonly T[],
  groupOf: (item: T) => string | number,
  add: (pipeline: ChainableCommander, item: T) => void,
): Promise<PipelineResult> {
  if (items.length === 0) return [];
  if (!redis.isCluster) {
    const pipeline = redis.pipeline();
    for (const item of items) add(pipeline, item);
    return (await pipeline.exec()) ?? [];
  }
  const groups = new Map<string | number, number[]>();
  items.forEach((item, i) => {
    const key = groupOf(item);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const perItem: PipelineResult[] = new Array<PipelineResult>(items.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const pipeline = redis.pipeline();
      const counts = indexes.map((i) => {
        const before = pipeline.length;
        add(pipeline, items[i] as T);
        return pipeline.length - before;
      });
      const results = (await pipeline.exec()) ?? [];
      let at = 0;
      indexes.forEach((i, n) => {
        perItem[i] = results.slice(at, at + (counts[n] ?? 0));
        at += counts[n] ?? 0;
      });
    }),
  );
  return perItem.flat();
}

/** Every key matching `pattern`: SCAN on the one server, or on every master of a cluster. */
export async function scanKeys(redis: Redis, pattern: string, count = 200): Promise<string[]> {
  const cluster = clusterOf(redis);
  const nodes: Redis[] = cluster ? cluster.nodes('master') : [redis];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      for (const key of keys) found.add(key);
    } while (cursor !== '0');
  }
  return [...found];
}

/**
 * Wakes a cluster-mode stream reader when something was committed: every commit script PUBLISHes on the events
 * channel, so readers poll their streams without BLOCK and then wait here (up to `maxWaitMs`, which also bounds
 * the delay of an entry added without a PUBLISH).
 */
export class StreamWaker {
  private seq = 0;
  private waiters = new Set<() => void>();
  private readonly onMessage = (channel: string): void => {
    if (channel !== this.channel) return;
    this.seq += 1;
    this.wakeAll();
  };

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', this.onMessage);
    await this.subscriber.subscribe(this.channel);
  }

  /** A mark to pass to wait(): wakes at once if anything was published since it was taken. */
  mark(): number {
    return this.seq;
  }

  wait(mark: number, maxWaitMs: number): Promise<void> {
    if (this.seq !== mark) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      this.waiters.add(done);
    });
  }

  /** Ends every wait (stop). */
  wakeAll(): void {
    for (const done of [...this.waiters]) done();
  }

  stop(): void {
    this.subscriber.off('message', this.onMessage);
    this.wakeAll();
  }
}
