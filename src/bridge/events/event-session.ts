/**
 * One SSE client, from subscription to close.
 *
 * Resuming without gaps or duplicates: the session subscribes to the hub FIRST and holds what it hands over,
 * then replays from Redis everything after the client's cursor up to the hub's position at subscription, then
 * flushes what it held and goes live. Every entry passes one gate: it is delivered only if its id is after the
 * cursor's id for its partition, and then the cursor moves to it. That gate drops anything already replayed,
 * and also entries a client saw through another daemon whose reader was ahead of this one.
 *
 * The cursor of an unscoped client advances over entries its filter hides too (they are accounted for), so the
 * next `id:` it receives lets a later resume skip them. A scoped client (an agent) resumes from index streams
 * that hold only what it may see, so its cursor moves on its own entries only: it never shows when other users'
 * events happened.
 *
 * Memory per session is bounded in every phase, so no client (whatever its key) can make itself a memory problem
 * for all:
 * - replay: one page per source, and the socket's buffer (the replay waits for it to drain);
 * - held while replaying: at most `maxHeldBytes` of visible entries; past that the held entries are dropped and
 *   the replay reads that range again from Redis (only the range's end is remembered);
 * - live: at most `maxBacklogBytes` unsent, then the client is cut off.
 * And in time: a socket that does not drain within `drainTimeoutMs`, or a replay not done within
 * `replayTimeoutMs`, cuts the client off. Its cursor makes the reconnect cheap and exact.
 */
import type { Logger } from 'pino';
import type { EventFeed, HubSubscription } from './event-hub.js';
import type { EventFilter } from './event-filter.js';
import { publicPayload } from './public-events.js';
import { missedEntries } from './replay.js';
import { checkResume } from './retention.js';
import { encodeCursor, isAhead, type Cursor } from './sse-cursor.js';
import type { EventWriter } from './sse-writer.js';
import type { StreamEntry } from './stream-entry.js';
import { laterStreamId, ZERO_ID } from './stream-id.js';
import type { IndexRef } from './stream-log.js';

export interface SessionOptions {
  heartbeatMs: number;
  /** The `retry:` hint: how long EventSource waits before reconnecting. */
  retryMs: number;
  /** Live backlog (bytes) after which a client that does not read is disconnected. */
  maxBacklogBytes: number;
  replayPageSize: number;
  /** Visible live entries held during a replay (bytes); past it they are re-read from Redis instead. */
  maxHeldBytes: number;
  /** A client whose socket stays full this long is disconnected. */
  drainTimeoutMs: number;
  /** A replay (catching up after Last-Event-ID) must be done within this, else the client is disconnected. */
  replayTimeoutMs: number;
}

/** Why a session was cut off by the server (counted in /metrics). */
export type CutOffReason = 'backlog' | 'drain-timeout' | 'replay-timeout';

/** Where the client wants to start: from now, after a valid cursor, or after a cursor that cannot be read. */
export type StartPoint = { kind: 'live' } | { kind: 'resume'; cursor: Cursor } | { kind: 'invalid' };

export type ResyncReason = 'cursor-expired' | 'cursor-invalid';

/** What a client may see: the filter, and for a scoped client the index streams that hold all of it. */
export interface SessionView {
  filter: EventFilter;
  indexes?: readonly IndexRef[];
}

export interface SessionHooks {
  /** Only warn is used; a request logger fits. */
  log: Pick<Logger, 'warn'>;
  onCutOff?: (reason: CutOffReason) => void;
}

/** Rough bytes a held entry costs (its payload is kept once serialized). */
const entryBytes = (entry: StreamEntry): number => publicPayload(entry).length + 200;

export class EventSession {
  private cursor: string[] = [];
  /** Visible live entries held back while replaying; null once live. */
  private held: StreamEntry[] | null = [];
  private heldBytes = 0;
  /** Held entries were dropped (too many): the replay must read up to `liveUpto` again. */
  private overflowed = false;
  /** The id of the last entry the hub handed over, per partition. */
  private liveUpto: string[] = [];
  private subscription: HubSubscription | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private watchingDrain = false;
  private closing: Promise<void> | undefined;
  private readonly filter: EventFilter;
  private readonly indexes: readonly IndexRef[] | undefined;
  private readonly log: Pick<Logger, 'warn'>;

  constructor(
    private readonly feed: EventFeed,
    private readonly out: EventWriter,
    view: SessionView | EventFilter,
    private readonly options: SessionOptions,
    hooks: SessionHooks | Pick<Logger, 'warn'>,
  ) {
    const v = typeof view === 'function' ? { filter: view } : view;
    this.filter = v.filter;
    this.indexes = v.indexes;
    this.hooks = 'log' in hooks ? hooks : { log: hooks };
    this.log = this.hooks.log;
    void out.whenClosed().then(() => this.close());
  }

  private readonly hooks: SessionHooks;

  private get scoped(): boolean {
    return this.indexes !== undefined;
  }

  /** Streams until the client or the server closes; resolves once live (or closed). */
  async run(start: StartPoint): Promise<void> {
    if (this.closing) return; // the client left before we began: subscribing now would never be undone
    try {
      // An idle hub first reads the tail: the client may have left meanwhile.
      const subscription = await this.feed.subscribe({
        onEntries: (entries) => this.onLive(entries),
        onStop: () => void this.close(),
      });
      if (this.closing) {
        subscription.unsubscribe();
        return;
      }
      this.subscription = subscription;
    } catch (err) {
      if (!this.closing)
        this.log.warn({ err: (err as Error).message }, 'event feed unavailable; closing the stream');
      await this.close();
      return;
    }
    // The headers after joining: a client that has them gets everything committed from then on.
    this.out.open(this.options.retryMs);
    const position = this.subscription.position;
    this.liveUpto = [...position];
    try {
      this.cursor = await this.startCursor(position);
      if (start.kind === 'invalid') this.resyncRequired('cursor-invalid');
      if (start.kind === 'resume') await this.catchUp(start.cursor, position);
      this.goLive();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'event replay failed; closing the stream');
      await this.close();
    }
  }

  /** Ends the stream; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.held = null;
    await this.out.end();
  }

  /**
   * "Everything up to now is accounted for": the hub's position, or for a scoped client the newest entry it may
   * see at or before that position in each of its partitions (so the cursor tells nothing about other users).
   */
  private async startCursor(position: Cursor): Promise<string[]> {
    if (!this.indexes) return [...position];
    const cursor = position.map(() => ZERO_ID);
    for (const index of this.indexes) {
      const p = index.partition;
      const upto = position[p] ?? ZERO_ID;
      const last = await this.feed.log.indexLast(index, upto);
      if (last) cursor[p] = laterStreamId(cursor[p] ?? ZERO_ID, last);
    }
    return cursor;
  }

  private async catchUp(from: Cursor, upto: Cursor): Promise<void> {
    const deadline = Date.now() + this.options.replayTimeoutMs;
    const start = this.cursor;
    // A scoped client's cursor counts in its own partitions only.
    this.cursor = this.scoped
      ? start.map((id, p) => (this.isVisiblePartition(p) ? (from[p] ?? id) : id))
      : [...from];
    const report = await checkResume(this.feed.log, this.cursor, this.indexes);
    if (report.ahead.length > 0) {
      // Not a cursor from here: those partitions start afresh (waiting for ids to pass it would deliver nothing).
      for (const p of report.ahead) this.cursor[p] = start[p] ?? ZERO_ID;
      this.resyncRequired('cursor-invalid');
    } else if (report.gaps.length > 0) this.resyncRequired('cursor-expired');
    let end = upto;
    for (;;) {
      for await (const entry of missedEntries(
        this.feed.log,
        this.cursor,
        end,
        this.options.replayPageSize,
        this.indexes,
      )) {
        if (this.closing) return;
        if (Date.now() > deadline) return this.cutOff('replay-timeout');
        if (!this.deliver(entry) && !(await this.drainedWithin(deadline))) return;
      }
      if (!this.overflowed || this.closing) return;
      // Held entries were dropped: read that range from Redis as well, then hold again from here.
      this.overflowed = false;
      end = [...this.liveUpto];
      this.held = [];
      this.heldBytes = 0;
    }
  }

  private goLive(): void {
    const held = this.held ?? [];
    this.held = null;
    if (this.closing) return;
    for (const entry of held) this.deliver(entry);
    // Hidden entries were not held; an unscoped cursor accounts for them all the same.
    if (!this.scoped)
      this.liveUpto.forEach((id, p) => (this.cursor[p] = laterStreamId(this.cursor[p] ?? ZERO_ID, id)));
    this.afterWrite();
    this.heartbeat = setInterval(() => this.out.comment('ping'), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private onLive(entries: readonly StreamEntry[]): void {
    if (this.closing) return;
    if (this.held) return this.hold(entries);
    for (const entry of entries) {
      this.deliver(entry);
      if (this.out.backlog > this.options.maxBacklogBytes) return this.cutOff('backlog');
    }
    this.afterWrite();
  }

  private hold(entries: readonly StreamEntry[]): void {
    for (const entry of entries) {
      this.liveUpto[entry.partition] = entry.id;
      if (this.overflowed || !this.filter(entry)) continue;
      this.held?.push(entry);
      this.heldBytes += entryBytes(entry);
      if (this.heldBytes > this.options.maxHeldBytes) {
        this.held = [];
        this.heldBytes = 0;
        this.overflowed = true;
      }
    }
  }

  /** Live: a socket that stays full past the deadline is a client that does not keep up. */
  private afterWrite(): void {
    if (this.out.backlog > this.options.maxBacklogBytes) return this.cutOff('backlog');
    if (this.watchingDrain || this.out.backlog === 0) return;
    this.watchingDrain = true;
    void this.drainedWithin(Date.now() + this.options.drainTimeoutMs).then(
      () => (this.watchingDrain = false),
    );
  }

  /** Waits for the socket to drain; false (and the client cut off) when it did not in time. */
  private async drainedWithin(deadline: number): Promise<boolean> {
    const ms = Math.max(0, Math.min(deadline, Date.now() + this.options.drainTimeoutMs) - Date.now());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
      timer.unref();
    });
    const outcome = await Promise.race([this.out.drained().then(() => 'drained' as const), late]);
    clearTimeout(timer);
    if (outcome === 'drained' || this.closing) return !this.closing;
    this.cutOff(deadline <= Date.now() && this.held ? 'replay-timeout' : 'drain-timeout');
    return false;
  }

  private cutOff(reason: CutOffReason): void {
    if (this.closing) return;
    this.log.warn({ backlog: this.out.backlog, reason }, 'event client is not keeping up; disconnecting it');
    this.hooks.onCutOff?.(reason);
    this.held = null;
    this.out.abort();
    void this.close();
  }

  private isVisiblePartition(p: number): boolean {
    return this.indexes?.some((index) => index.partition === p) ?? true;
  }

  /** The one gate every entry passes. False when the client's socket is full. */
  private deliver(entry: StreamEntry): boolean {
    if (!isAhead(this.cursor, entry.partition, entry.id)) return true;
    const visible = this.filter(entry);
    if (!visible && this.scoped) return true;
    this.cursor[entry.partition] = entry.id;
    if (!visible) return true;
    return this.out.event(entry.type, publicPayload(entry), encodeCursor(this.cursor));
  }

  /** Tells the client its view may have a gap: reload the state it shows, then keep listening. */
  private resyncRequired(reason: ResyncReason): void {
    this.out.event('resync-required', JSON.stringify({ type: 'resync-required', reason }));
  }
}
