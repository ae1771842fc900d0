/**
 * The sync hot path: the daemon holding a PBX connection reads the outbox streams itself, through a consumer group
 * of that connection (`sync-<connection>`), instead of a BullMQ job per committed change. Entries are coalesced per
 * user in memory (the sync reads the user's current state, so the latest state wins), synced with bounded
 * concurrency and acknowledged only once the PBX has it, or once a failed sync is handed to a durable BullMQ retry.
 * An entry is therefore never lost: a crash, a lost lease or a Redis fault leaves it in the group's pending entries
 * list, from where the next holder (or this one, after the fault) claims it (XAUTOCLAIM); the periodic reconcile
 * repairs the rest. Entries of other connections, and types that cannot change PBX settings, are acknowledged at once.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StreamWaker } from '../redis/cluster.js';
import { readGroup } from '../outbox/read-group.js';
import type { Keys } from '../redis/keys.js';

/** The consumer group of one connection's sync on every partition stream. */
export const syncGroupName = (connection: string): string => `sync-${connection}`;

/** What a consumed change asks of the sync: resolves when the entry may be acknowledged, rejects to keep it. */
export type SyncOne = (userId: string) => Promise<void>;

/**
 * The same for a batch of users started together, one outcome per user in order (each settles on its own). Perf: a
 * batch shares its Redis round trips (locks, states and sync records in one write each, not one per user).
 */
export type SyncMany = (userIds: readonly string[]) => Array<Promise<void>>;

/** A batch sync that syncs each user on its own (tests, simple callers). */
export const eachUser =
  (syncOne: SyncOne): SyncMany =>
  (userIds) =>
    userIds.map(syncOne);

/** The outbox types after which a user's PBX settings may differ (see SyncPipeline). */
export interface EntryFilter {
  triggers: ReadonlySet<string>;
  /** Entries written before commits recorded the connection: where the user is now (a load). */
  connectionOf: (userId: string) => Promise<string | undefined>;
}

export interface ConsumerOptions {
  concurrency: number;
  blockMs?: number;
  batch?: number;
  /** Pending entries idle this long are claimed again (ours after a fault, or a vanished holder's). */
  claimIdleMs?: number;
  /** Reading pauses while this many entries wait in memory (a slow PBX must not fill the heap). */
  maxTracked?: number;
  /**
   * After a user's sync, the user's next one waits this long (changes meanwhile coalesce). The PBX reports our own
   * writes back a moment later, and echo suppression compares them with the *last* push: a next push right away
   * made the late echo of the previous one look like a phone-side change (found by the FreePBX routing tests).
   */
  echoGapMs?: number;
}

type Entries = Array<[string, string[] | null]>;
type XReadReply = Array<[string, Entries]> | null;

interface UserWork {
  /** Entries (stream → ids) that the next sync of this user acknowledges. */
  waiting: Map<string, string[]>;
  running: boolean;
  /** Within echoGapMs after a sync: new entries wait. */
  cooling: boolean;
}

export class OutboxSyncConsumer {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly group: string;
  private readonly consumer: string;
  private readonly opts: Required<ConsumerOptions>;
  private readonly users = new Map<string, UserWork>();
  /** Users with waiting entries and no sync running, in arrival order. */
  private readonly ready = new Set<string>();
  /** Ids held in memory (waiting or being synced): a re-claim must not count them twice. */
  private readonly tracked = new Set<string>();
  private active = 0;
  private pumping = false;
  private readonly acks = new Map<string, string[]>();
  private ackFlush: Promise<void> | undefined;
  private lastClaim = 0;
  private waker: StreamWaker | undefined;
  private wakeReader: (() => void) | undefined;

  /**
   * `redis` is this consumer's own connection (it blocks in XREADGROUP); acknowledgements go over `commands`, the
   * shared command connection, so that they are not queued behind a blocked read.
   */
  constructor(
    private readonly redis: Redis,
    private readonly commands: Redis,
    private readonly keys: Keys,
    private readonly connection: string,
    consumer: string,
    private readonly filter: EntryFilter,
    private readonly syncMany: SyncMany,
    private readonly log: Logger,
    options: ConsumerOptions,
  ) {
    this.group = syncGroupName(connection);
    this.consumer = consumer;
    this.opts = {
      blockMs: 1000,
      batch: 500,
      claimIdleMs: 5000,
      maxTracked: 50_000,
      echoGapMs: 100,
      ...options,
    };
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Entries read and not yet acknowledged by this daemon. */
  get inMemory(): number {
    return this.tracked.size;
  }

  /** Never throws: a Redis fault while starting is retried by the read loop. */
  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  private async prepare(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
    await ensureSyncGroups(this.redis, this.keys, this.connection);
    if (this.redis.isCluster && !this.waker) {
      const waker = new StreamWaker(this.redis, this.keys.eventsChannel());
      await waker.start();
      this.waker = waker;
    }
  }

  /** Stops reading; entries not yet acknowledged stay pending in Redis for the next holder. */
  async stop(): Promise<void> {
    this.running = false;
    this.waker?.stop();
    this.wakeReader?.();
    this.redis.disconnect(); // ends a blocked XREADGROUP at once
    // Not forever: with Redis away, a command queued on the client may never settle, and the caller (the lease
    // loop, after a lost lease) must go on to take the connection again.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.users.clear();
    this.ready.clear();
    this.tracked.clear();
  }

  private streams(): string[] {
    return this.keys.allPartitions().map((p) => this.keys.events(p));
  }

  private async run(): Promise<void> {
    let recover = true;
    while (this.running) {
      try {
        // Everything pending in the group, whoever read it: a previous holder's (crash, lost lease) or ours
        // before a Redis fault. Idempotent: a sync reads the current state.
        if (recover) {
          await this.prepare();
          await this.claim(0);
        }
        recover = false;
        if (Date.now() - this.lastClaim >= this.opts.claimIdleMs) await this.claim(this.opts.claimIdleMs);
        await this.backpressure();
        await this.read();
      } catch (err) {
        if (!this.running) break;
        recover = true;
        this.log.warn(
          { pbx: this.connection, err: (err as Error).message },
          'sync outbox read failed; retrying',
        );
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async backpressure(): Promise<void> {
    while (this.running && this.tracked.size >= this.opts.maxTracked)
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
        setTimeout(resolve, 200);
      });
  }

  private async read(): Promise<void> {
    const streams = this.streams();
    if (!this.waker) {
      const reply = await this.readGroup(streams, this.opts.blockMs);
      for (const [stream, entries] of reply ?? []) await this.take(stream, entries);
      return;
    }
    // Cluster mode: streams of different partitions live in different slots; no read may span them.
    const mark = this.waker.mark();
    const replies = await Promise.all(streams.map((s) => this.readGroup([s])));
    let read = 0;
    for (const [i, reply] of replies.entries()) {
      const entries = reply?.[0]?.[1] ?? [];
      read += entries.length;
      if (entries.length > 0) await this.take(streams[i] as string, entries);
    }
    if (read === 0 && this.running) await this.waker.wait(mark, this.opts.blockMs);
  }

  private async readGroup(streams: string[], blockMs?: number): Promise<XReadReply> {
    const read = {
      group: this.group,
      consumer: this.consumer,
      count: this.opts.batch,
      streams,
      from: '>' as const,
    };
    return (await readGroup(this.redis, { ...read, blockMs })) as XReadReply;
  }

  /** XAUTOCLAIM of every stream's pending entries idle at least `minIdleMs`. */
  private async claim(minIdleMs: number): Promise<void> {
    this.lastClaim = Date.now();
    for (const stream of this.streams()) {
      let cursor = '0-0';
      do {
        const reply = (await this.redis.call(
          'XAUTOCLAIM',
          stream,
          this.group,
          this.consumer,
          String(minIdleMs),
          cursor,
          'COUNT',
          String(this.opts.batch),
        )) as [string, Entries];
        cursor = reply[0];
        await this.take(
          stream,
          reply[1].filter(([id]) => !this.tracked.has(id)),
        );
      } while (cursor !== '0-0' && this.running);
    }
  }

  /** Sorts read entries: the ones this connection must sync wait per user, the others are acknowledged. */
  private async take(stream: string, entries: Entries): Promise<void> {
    for (const [id, fields] of entries) {
      const entry = fields ? fieldsOf(fields) : undefined;
      if (!entry || !entry.user || !this.filter.triggers.has(entry.type)) {
        this.ack(stream, id);
        continue;
      }
      const connection = entry.pbx ?? (await this.filter.connectionOf(entry.user));
      if (connection !== this.connection) {
        this.ack(stream, id);
        continue;
      }
      this.tracked.add(id);
      let work = this.users.get(entry.user);
      if (!work) this.users.set(entry.user, (work = { waiting: new Map(), running: false, cooling: false }));
      const ids = work.waiting.get(stream);
      if (ids) ids.push(id);
      else work.waiting.set(stream, [id]);
      if (!work.running && !work.cooling) this.ready.add(entry.user);
    }
    this.pump();
  }

  /**
   * Starts one batch of the ready users, up to the concurrency bound (users being synced count against it). Perf:
   * deferred to the end of the loop turn, so that the slots freed by the syncs finishing together (their PBX
   * answers come in one read) start one batch, not one small batch each.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      if (!this.running || this.ready.size === 0) return;
      const batch: string[] = [];
      for (const userId of this.ready) {
        if (this.active + batch.length >= this.opts.concurrency) break;
        this.ready.delete(userId);
        if (this.users.has(userId)) batch.push(userId);
      }
      if (batch.length === 0) return;
      const syncs = this.syncMany(batch);
      for (const [i, userId] of batch.entries()) void this.syncUser(userId, syncs[i]);
    });
  }

  private async syncUser(userId: string, sync: Promise<void> | undefined): Promise<void> {
    const work = this.users.get(userId);
    if (!work) return;
    const covered = work.waiting;
    work.waiting = new Map();
    work.running = true;
    this.active += 1;
    let ok = false;
    try {
      if (!sync) throw new Error('no sync started');
      await sync;
      ok = true;
    } catch (err) {
      // Not handed anywhere durable (Redis away?): the entries stay pending and are claimed again.
      this.log.warn({ pbx: this.connection, userId, err: (err as Error).message }, 'sync left pending');
    }
    this.active -= 1;
    work.running = false;
    work.cooling = true;
    for (const [stream, ids] of covered)
      for (const id of ids) {
        this.tracked.delete(id);
        if (ok) this.ack(stream, id);
      }
    this.wakeReader?.();
    this.pump();
    setTimeout(() => {
      work.cooling = false;
      if (this.users.get(userId) !== work) return; // stopped meanwhile
      if (work.waiting.size > 0) this.ready.add(userId);
      else this.users.delete(userId);
      this.pump();
    }, this.opts.echoGapMs);
  }

  /** Acknowledgements are sent together, one XACK per stream per tick. */
  private ack(stream: string, id: string): void {
    const ids = this.acks.get(stream);
    if (ids) ids.push(id);
    else this.acks.set(stream, [id]);
    this.ackFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushAcks());
  }

  private async flushAcks(): Promise<void> {
    const batches = [...this.acks];
    this.acks.clear();
    this.ackFlush = undefined;
    await Promise.all(
      batches.map(([stream, ids]) =>
        // A lost acknowledgement only means the entry is synced again (it is claimed once idle).
        this.commands.xack(stream, this.group, ...ids).catch(() => undefined),
      ),
    );
  }
}

/** Creates the connection's group on every partition stream (from the start: nothing committed before is missed). */
export async function ensureSyncGroups(redis: Redis, keys: Keys, connection: string): Promise<void> {
  for (const p of keys.allPartitions()) {
    try {
      await redis.xgroup('CREATE', keys.events(p), syncGroupName(connection), '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
  }
}

/** Entries of the connection's group not yet acknowledged: unread (lag) plus read and pending. */
export async function syncBacklog(redis: Redis, keys: Keys, connection: string): Promise<number> {
  const group = syncGroupName(connection);
  let total = 0;
  for (const p of keys.allPartitions()) {
    const groups = (await redis.call('XINFO', 'GROUPS', keys.events(p)).catch(() => [])) as unknown[][];
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      if (info.get('name') !== group) continue;
      total += Number(info.get('lag') ?? 0) + Number(info.get('pending') ?? 0);
    }
  }
  return total;
}

/** Only the fields routing needs; `data` is not parsed (the sync reads the user's current state). */
function fieldsOf(fields: string[]): { type: string; user: string; pbx: string | undefined } {
  let type = '';
  let user = '';
  let pbx: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === 'type') type = fields[i + 1] as string;
    else if (name === 'user') user = fields[i + 1] as string;
    else if (name === 'pbx') pbx = fields[i + 1] as string;
  }
  return { type, user, pbx };
}
