/**
 * The outbox dispatcher: reads every partition's event stream through a consumer group and hands each entry to
 * the handlers (timer scheduling, PBX sync enqueueing). An entry is acknowledged only after every handler
 * succeeded, so a crash or a Redis fault between commit and dispatch delays work but never loses it: unacked
 * entries are re-read by their consumer or, once idle, claimed by any daemon (XAUTOCLAIM).
 * Handlers must be idempotent (deterministic job ids), because an entry may be handled twice.
 *
 * Besides the partitions' streams it reads the catalog's outbox (entries written atomically with a status-type
 * edit, e.g. an allowance change whose users must be re-planned); those entries have partition CATALOG_PARTITION.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StreamWaker } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';
import { parseStreamEntry, type StreamEntry } from './outbox-entry.js';
import { readGroup } from './read-group.js';

export type OutboxHandler = (entry: StreamEntry) => Promise<void>;

/** The `partition` of entries read from the catalog outbox (not a user partition). */
export const CATALOG_PARTITION = -1;

const GROUP = 'dispatch';

interface OutboxStream {
  key: string;
  partition: number;
}
type Entries = Array<[string, string[] | null]>;
type XReadReply = Array<[string, Entries]> | null;

interface ReadBatch {
  stream: string;
  partition: number;
  entries: Entries;
}

export interface DispatcherOptions {
  blockMs?: number;
  batch?: number;
  /** Entries unacked this long are claimed by whichever daemon runs its claim pass. */
  claimIdleMs?: number;
  /** Consumer group name: another group reads the same streams independently (webhooks use "webhooks"). */
  group?: string;
  /** Where a new group starts: "0" (everything retained) or "$" (only entries added from now on). */
  startId?: '0' | '$';
  /**
   * A fixed consumer name instead of a random one per process: a reader that only ever runs in one daemon at a
   * time (under a lease) then inherits its predecessor's unacknowledged entries and handles them first, in order.
   */
  consumer?: string;
  /**
   * True while no entry committed from now on needs handling (the webhook fan-out without an endpoint). The reader
   * then moves its group past the entries instead of reading them, and asks again after `blockMs` or wake().
   */
  idle?: () => Promise<boolean>;
}

export class OutboxDispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly consumer: string;
  private lastClaim = 0;
  private readonly opts: Required<Omit<DispatcherOptions, 'consumer' | 'idle'>>;
  private readonly idle: (() => Promise<boolean>) | undefined;
  /** Per stream, the id the group was last moved to while idle (no move when the tail has not changed). */
  private readonly skippedTo = new Map<string, string>();
  private woken = false;
  private endRest: (() => void) | undefined;
  /** Cluster mode only: streams of different partitions live in different slots, so no read may span them. */
  private waker: StreamWaker | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly handlers: OutboxHandler[],
    private readonly log: Logger,
    options: DispatcherOptions = {},
  ) {
    const { consumer, idle, ...rest } = options;
    this.consumer = consumer ?? `c-${randomUUID().slice(0, 8)}`;
    this.idle = idle;
    this.opts = { blockMs: 1000, batch: 200, claimIdleMs: 5000, group: GROUP, startId: '0', ...rest };
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    await this.ensureGroups();
    if (this.redis.isCluster) {
      this.waker = new StreamWaker(this.redis, this.keys.eventsChannel());
      await this.waker.start();
    }
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    this.waker?.stop();
    this.redis.disconnect(); // ends a blocked XREADGROUP at once
    await this.loop;
  }

  /** Ends an idle wait now (e.g. an endpoint was created): the idle check is asked again at once. */
  wake(): void {
    this.woken = true;
    this.endRest?.();
  }

  private streams(): OutboxStream[] {
    const partitions = this.keys.allPartitions().map((p) => ({ key: this.keys.events(p), partition: p }));
    return [...partitions, { key: this.keys.catalogOutbox(), partition: CATALOG_PARTITION }];
  }

  private async ensureGroups(): Promise<void> {
    for (const { key } of this.streams()) {
      try {
        // By default from the beginning ("0"), so events committed before the first daemon ever started are dispatched.
        await this.redis.xgroup('CREATE', key, this.opts.group, this.opts.startId, 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
      }
    }
  }

  private async run(): Promise<void> {
    let pendingFirst = true;
    while (this.running) {
      try {
        if (pendingFirst) await this.drain('0'); // our own unacked entries (after a Redis restart, say)
        pendingFirst = false;
        await this.claimIdle();
        if (this.idle && (await this.skipWhileIdle(this.idle))) continue;
        await this.drain('>');
      } catch (err) {
        if (!this.running) break;
        pendingFirst = true;
        this.skippedTo.clear();
        this.log.warn({ err: (err as Error).message }, 'outbox dispatch failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        await this.ensureGroups().catch(() => undefined);
      }
    }
  }

  /** One XREADGROUP over all partitions; `>` = new entries (blocking), `0` = this consumer's pending ones. */
  private async drain(from: '>' | '0'): Promise<void> {
    if (this.waker) return this.drainEach(from, this.waker);
    const streams = this.streams();
    const keys = streams.map((s) => s.key);
    const reply = await this.readGroup(keys, from, from === '>' ? this.opts.blockMs : undefined);
    const batches = (reply ?? []).map(([stream, entries]) => ({
      stream,
      partition: streams.find((s) => s.key === stream)?.partition ?? CATALOG_PARTITION,
      entries,
    }));
    await this.handleAll(batches);
  }

  /**
   * Cluster mode: one non-blocking XREADGROUP per stream (each its own slot), in parallel; when there was
   * nothing new, wait for a commit's wake-up message (or blockMs) instead of blocking in Redis.
   */
  private async drainEach(from: '>' | '0', waker: StreamWaker): Promise<void> {
    const mark = waker.mark();
    const batches = await Promise.all(
      this.streams().map(async ({ key: stream, partition }) => {
        const reply = await this.readGroup([stream], from);
        return { stream, partition, entries: reply?.[0]?.[1] ?? [] };
      }),
    );
    const read = batches.reduce((n, b) => n + b.entries.length, 0);
    if (read > 0) await this.handleAll(batches);
    if (from === '>' && read === 0 && this.running) await waker.wait(mark, this.opts.blockMs);
  }

  /** XREADGROUP for this consumer over `streams`, each from `from`; blocks up to `blockMs` when given. */
  private async readGroup(streams: string[], from: '>' | '0', blockMs?: number): Promise<XReadReply> {
    const read = { group: this.opts.group, consumer: this.consumer, count: this.opts.batch, streams, from };
    return (await readGroup(this.redis, { ...read, blockMs })) as XReadReply;
  }

  /** Handles one read's entries of every stream, then acknowledges them all. */
  private async handleAll(batches: ReadonlyArray<ReadBatch>): Promise<void> {
    // Perf: one user's entries stay in order, different users' are handled concurrently. A serial loop cost one
    // Redis round trip per entry (each enqueue awaited alone) and made dispatch the bottleneck of a burst
    // (bench/: 10,000 On Break changes reached the PBX in ~17 s serial, ~12.5 s grouped). The streams of one read
    // are handled together too (a user's entries are all in one partition), and acknowledged in one write: one
    // XACK round trip per stream, one after the other, was most of the dispatcher's cost per change (bench/).
    const done = new Map<string, string[]>();
    const byUser = new Map<string, StreamEntry[]>();
    for (const { stream, partition, entries } of batches) {
      const ids: string[] = [];
      for (const [id, fields] of entries) {
        if (!fields) continue; // deleted by MAXLEN trimming while pending
        ids.push(id);
        const entry = parseStreamEntry(partition, id, fields);
        const list = byUser.get(entry.userId);
        if (list) list.push(entry);
        else byUser.set(entry.userId, [entry]);
      }
      if (ids.length > 0) done.set(stream, ids);
    }
    const outcomes = await Promise.allSettled(
      [...byUser.values()].map(async (list) => {
        for (const entry of list) for (const handle of this.handlers) await handle(entry);
      }),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason; // nothing acked: the pending entries are handled again (idempotent)
    await this.ack(done);
  }

  private async ack(done: ReadonlyMap<string, string[]>): Promise<void> {
    await this.each([...done].map(([stream, ids]) => ['XACK', stream, this.opts.group, ...ids]));
  }

  /**
   * Single-key commands in one write (a pipeline), or in parallel in cluster mode, where the streams of different
   * partitions live in different slots; the replies in order. Perf: a write per command cost a syscall each.
   */
  private async each(commands: string[][]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    if (this.redis.isCluster)
      return Promise.all(commands.map(([name, ...args]) => this.redis.call(name as string, ...args)));
    const pipeline = this.redis.pipeline();
    for (const [name, ...args] of commands) pipeline.call(name as string, ...args);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    return replies.map(([, reply]) => reply);
  }

  /**
   * Perf: a reader with nothing to do moves its group to each stream's newest entry instead of reading every entry
   * (bench/ throughput: an XREADGROUP share and an XACK per change, for a webhook fan-out without endpoints). The
   * tails are read BEFORE asking `idle`: every entry up to them was committed before the answer, so whatever makes
   * the reader busy again (an endpoint created) came after them and does not want them. Pending entries are not
   * touched (SETID leaves the pending list alone): they were handled by drain('0') and claimIdle() as before.
   */
  private async skipWhileIdle(idle: () => Promise<boolean>): Promise<boolean> {
    this.woken = false;
    const streams = this.streams();
    const tails = (await this.each(streams.map(({ key }) => ['XREVRANGE', key, '+', '-', 'COUNT', '1']))).map(
      (reply) => (reply as Entries)[0]?.[0],
    );
    if (!(await idle())) return false;
    const moves = streams
      .map(({ key }, i) => ({ key, tail: tails[i] }))
      .filter(
        (m): m is { key: string; tail: string } =>
          m.tail !== undefined && this.skippedTo.get(m.key) !== m.tail,
      );
    await this.each(moves.map(({ key, tail }) => ['XGROUP', 'SETID', key, this.opts.group, tail]));
    for (const { key, tail } of moves) this.skippedTo.set(key, tail);
    if (this.running && !this.woken)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.blockMs);
        this.endRest = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    this.endRest = undefined;
    return true;
  }

  /** Takes over entries another consumer (a crashed daemon) left unacknowledged. */
  private async claimIdle(): Promise<void> {
    if (Date.now() - this.lastClaim < this.opts.claimIdleMs) return;
    this.lastClaim = Date.now();
    const streams = this.streams();
    const idle = String(this.opts.claimIdleMs);
    const count = String(this.opts.batch);
    const replies = await this.each(
      streams.map(({ key }) => [
        'XAUTOCLAIM',
        key,
        this.opts.group,
        this.consumer,
        idle,
        '0-0',
        'COUNT',
        count,
      ]),
    );
    const batches = streams.map(({ key: stream, partition }, i) => ({
      stream,
      partition,
      entries: (replies[i] as [string, Entries])[1],
    }));
    if (batches.some((b) => b.entries.length > 0)) await this.handleAll(batches);
  }
}
