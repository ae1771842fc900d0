/**
 * The one outbox reader of this process. A dedicated blocking client loops on
 * `XREAD BLOCK <ms> STREAMS <every partition stream> <last ids>` and hands each batch to every subscriber
 * (one per open SSE response), so a thousand clients cost one Redis connection, not a thousand.
 *
 * It reads only while someone listens. Perf: with no SSE client the reader cost every committed change a share of
 * an XREAD and a JSON parse for nothing (bench/ throughput: ~9 µs of Redis CPU per change). The first subscriber
 * wakes it at the tail (each stream's newest id); the last one leaving lets the read in flight finish and stops.
 * While awake it always reads after the ids it last dispatched, never `$`, so nothing committed between two reads
 * is skipped. When Redis goes away the loop keeps its ids and retries with capped backoff (ioredis also resends
 * the pending XREAD after a reconnect), so delivery continues where it stopped. A subscriber learns the hub's
 * position at the moment it joins: everything after it will be handed to it, which is what makes resuming without
 * gaps possible (see event-session.ts). Entries committed while nobody listened are not lost to a resuming client:
 * its replay reads them from the streams, up to that position.
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
  /** Resolves once the subscriber is in (an idle hub first learns the tail); rejects when the hub stopped. */
  subscribe(subscriber: HubSubscriber): HubSubscription | Promise<HubSubscription>;
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
  /** Subscribers waiting for an idle hub to learn the tail (they keep it awake, and hear of a stop). */
  private readonly joining = new Set<HubSubscriber>();
  private readonly partitionOfKey: Map<string, number>;
  private positions: string[] = [];
  /** True while a read loop runs whose positions are current; set false in the same tick the loop decides to end. */
  private awake = false;
  private loop: Promise<void> | undefined;
  private waking: Promise<void> | undefined;
  private stopped = false;
  private interrupt: (() => void) | undefined;
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
    return this.subscribers.size + this.joining.size;
  }

  /** True while the hub reads the streams (someone listens). */
  get reading(): boolean {
    return this.awake;
  }

  async start(): Promise<void> {
    if (this.reader.status === 'wait') await this.reader.connect();
    if (this.reader.isCluster) {
      this.waker = new StreamWaker(this.reader, this.keys.eventsChannel());
      await this.waker.start();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.interrupt?.();
    this.waker?.stop();
    this.reader.disconnect(); // rejects the pending XREAD at once; quit() would wait for the BLOCK to end
    await this.loop;
    await this.waking?.catch(() => undefined);
    for (const subscriber of [...this.subscribers, ...this.joining]) subscriber.onStop();
    this.subscribers.clear();
  }

  subscribe(subscriber: HubSubscriber): HubSubscription | Promise<HubSubscription> {
    if (this.stopped) return Promise.reject(new Error('the event hub is stopped'));
    return this.awake ? this.join(subscriber) : this.joinAwake(subscriber);
  }

  /** Only while awake: the positions are then exactly what has been handed to every subscriber so far. */
  private join(subscriber: HubSubscriber): HubSubscription {
    this.subscribers.add(subscriber);
    return {
      position: [...this.positions],
      unsubscribe: () => this.subscribers.delete(subscriber),
    };
  }

  private async joinAwake(subscriber: HubSubscriber): Promise<HubSubscription> {
    this.joining.add(subscriber);
    try {
      while (!this.awake) {
        if (this.stopped) throw new Error('the event hub is stopped');
        this.waking ??= this.awaken().finally(() => (this.waking = undefined));
        await this.waking;
      }
      if (this.stopped) throw new Error('the event hub is stopped');
      return this.join(subscriber);
    } finally {
      this.joining.delete(subscriber);
    }
  }

  /** Starts reading at the tail; retries (Redis away) until it can, or the hub stops. */
  private async awaken(): Promise<void> {
    for (let failures = 0; ; failures += 1) {
      try {
        const tail = await this.log.tailIds();
        if (this.stopped) return;
        this.positions = tail;
        break;
      } catch (err) {
        if (this.stopped) return;
        if (failures === 0)
          this.logger.warn({ err: (err as Error).message }, 'event stream tail read failed');
        await this.pause(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)] ?? 2_000);
      }
    }
    this.awake = true;
    const loop: Promise<void> = this.run().finally(() => {
      if (this.loop === loop) this.loop = undefined;
    });
    this.loop = loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    for (;;) {
      // The check and `awake = false` in one tick: a subscriber joining after it wakes a new loop at the tail.
      if (this.stopped || this.subscribers.size + this.joining.size === 0) {
        this.awake = false;
        return;
      }
      try {
        await this.readOnce();
        if (failures > 0) this.logger.info({ failures }, 'event stream reading resumed');
        failures = 0;
      } catch (err) {
        if (this.stopped) continue;
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
      this.interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
