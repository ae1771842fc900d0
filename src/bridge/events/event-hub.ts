/**
 * The one outbox reader of this process. A dedicated blocking client loops on
 * `XREAD BLOCK <ms> STREAMS <every partition stream> <last ids>` and hands each batch to every subscriber
 * (one per open SSE response), so a thousand clients cost one Redis connection, not a thousand.
 *
 * It starts at the tail (each stream's newest id) and always reads after the ids it last dispatched, never `$`,
 * so nothing committed between two reads is skipped. When Redis goes away the loop keeps its ids and retries
 * with capped backoff (ioredis also resends the pending XREAD after a reconnect), so delivery continues where it
 * stopped. A subscriber learns the hub's position at the moment it subscribes: everything after it will be
 * handed to it, which is what makes resuming without gaps possible (see event-session.ts).
 *
 * Delivery to subscribers is synchronous and in stream-id order within a batch; subscribers must not block.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StreamWaker } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';
import type { Cursor } from './sse-cursor.js';
import { parseStreamEntry, type RawStreamEntry, type StreamEntry } from './stream-entry.js';
import { compareStreamIds, ZERO_ID } from './stream-id.js';
import { StreamLog, type StreamReader } from './stream-log.js';

export interface HubSubscriber {
  /** A batch of new entries, in id order per partition. Called synchronously by the reader loop. */
  onEntries(entries: readonly StreamEntry[]): void;
  /** The hub stopped; nothing more will come. */
  onStop(): void;
}

export interface HubSubscription {
  /** The hub's position when subscribing: every entry after it will reach the subscriber. */
  readonly position: Cursor;
  unsubscribe(): void;
}

/** What an SSE session needs from the hub (a port, so sessions are tested with a fake). */
export interface EventFeed {
  readonly log: StreamReader;
  subscribe(subscriber: HubSubscriber): HubSubscription;
}

export interface EventHubOptions {
  /** How long one XREAD blocks; bounds how late stop() notices nothing (it also disconnects). */
  blockMs?: number;
  /** Entries per stream per XREAD. */
  batchSize?: number;
}

type XreadReply = Array<[key: string, entries: RawStreamEntry[]]> | null;

const BACKOFF_MS = [100, 200, 500, 1_000, 2_000];

export class EventHub implements EventFeed {
  readonly log: StreamLog;
  private readonly subscribers = new Set<HubSubscriber>();
  private readonly partitionOfKey: Map<string, number>;
  private positions: string[] = [];
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** Cluster mode only: partition streams live in different slots, so they are read one by one (see readEach). */
  private waker: StreamWaker | undefined;

  /** `reader` is owned by the hub from now on (it blocks and is disconnected on stop); `redis` is shared. */
  constructor(
    private readonly reader: Redis,
    redis: Redis,
    private readonly keys: Keys,
    private readonly logger: Logger,
    private readonly options: EventHubOptions = {},
  ) {
    this.log = new StreamLog(redis, keys);
    this.partitionOfKey = new Map(keys.allPartitions().map((p) => [keys.events(p), p]));
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  async start(): Promise<void> {
    if (this.reader.status === 'wait') await this.reader.connect();
    if (this.reader.isCluster) {
      this.waker = new StreamWaker(this.reader, this.keys.eventsChannel());
      await this.waker.start();
    }
    this.positions = await this.log.tailIds();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    this.waker?.stop();
    this.reader.disconnect(); // rejects the pending XREAD at once; quit() would wait for the BLOCK to end
    await this.loop;
    for (const subscriber of [...this.subscribers]) subscriber.onStop();
    this.subscribers.clear();
  }

  subscribe(subscriber: HubSubscriber): HubSubscription {
    this.subscribers.add(subscriber);
    return {
      position: [...this.positions],
      unsubscribe: () => this.subscribers.delete(subscriber),
    };
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.readOnce();
        if (failures > 0) this.logger.info({ failures }, 'event stream reading resumed');
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (failures === 0) this.logger.warn({ err: (err as Error).message }, 'event stream read failed');
        await this.pause(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)] ?? 2_000);
        failures += 1;
      }
    }
  }

  private async readOnce(): Promise<void> {
    if (this.waker) return this.readEach(this.waker);
    const keys = this.keys.allPartitions().map((p) => this.keys.events(p));
    const reply = (await this.reader.xread(
      'COUNT',
      this.options.batchSize ?? 500,
      'BLOCK',
      this.options.blockMs ?? 5_000,
      'STREAMS',
      ...keys,
      ...this.positions,
    )) as XreadReply;
    if (reply && !this.stopped) this.dispatch(reply);
  }

  /**
   * Cluster mode: one non-blocking XREAD per partition, in parallel, merged into one batch; when nothing was new,
   * wait for a commit's wake-up message (or blockMs) instead of blocking in Redis.
   */
  private async readEach(waker: StreamWaker): Promise<void> {
    const mark = waker.mark();
    const replies = await Promise.all(
      this.keys.allPartitions().map(async (p) => {
        const key = this.keys.events(p);
        const after = this.positions[p] ?? ZERO_ID;
        const reply = (await this.reader.xread(
          'COUNT',
          this.options.batchSize ?? 500,
          'STREAMS',
          key,
          after,
        )) as XreadReply;
        return reply ?? [];
      }),
    );
    const merged = replies.flat();
    if (merged.length > 0 && !this.stopped) this.dispatch(merged);
    else if (!this.stopped) await waker.wait(mark, this.options.blockMs ?? 1_000);
  }

  private dispatch(reply: NonNullable<XreadReply>): void {
    const batch: StreamEntry[] = [];
    for (const [key, entries] of reply) {
      const partition = this.partitionOfKey.get(key);
      if (partition === undefined || entries.length === 0) continue;
      for (const raw of entries) batch.push(parseStreamEntry(partition, raw));
      this.positions[partition] = entries[entries.length - 1]?.[0] ?? this.positions[partition] ?? ZERO_ID;
    }
    // Stable sort: per-partition order is kept, and partitions interleave roughly in commit time.
    batch.sort((a, b) => compareStreamIds(a.id, b.id));
    for (const subscriber of this.subscribers) this.deliver(subscriber, batch);
  }

  private deliver(subscriber: HubSubscriber, batch: readonly StreamEntry[]): void {
    try {
      subscriber.onEntries(batch);
    } catch (err) {
      this.logger.error({ err }, 'event subscriber failed');
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
