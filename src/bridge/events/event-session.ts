/**
 * One SSE client, from subscription to close.
 *
 * Resuming without gaps or duplicates: the session subscribes to the hub FIRST and buffers what it hands over,
 * then replays from Redis everything after the client's cursor up to the hub's position at subscription, then
 * flushes the buffer and goes live. Every entry passes one gate: it is delivered only if its id is after the
 * cursor's id for its partition, and then the cursor moves to it. That gate drops anything already replayed,
 * and also entries a client saw through another daemon whose reader was ahead of this one.
 *
 * The cursor advances over entries the client's filter hides too (they are accounted for), so the next `id:` it
 * receives lets a later resume skip them instead of reading them again.
 *
 * A client that stops reading while live is cut off once its backlog passes a limit: its cursor makes the
 * reconnect cheap and exact, while an unbounded buffer would make one stuck client a memory problem for all.
 */
import type { Logger } from 'pino';
import type { EventFeed, HubSubscription } from './event-hub.js';
import type { EventFilter } from './event-filter.js';
import { publicPayload } from './public-events.js';
import { missedEntries } from './replay.js';
import { expiredPartitions } from './retention.js';
import { encodeCursor, isAhead, type Cursor } from './sse-cursor.js';
import type { EventWriter } from './sse-writer.js';
import type { StreamEntry } from './stream-entry.js';

export interface SessionOptions {
  heartbeatMs: number;
  /** The `retry:` hint: how long EventSource waits before reconnecting. */
  retryMs: number;
  /** Live backlog (bytes) after which a client that does not read is disconnected. */
  maxBacklogBytes: number;
  replayPageSize: number;
}

/** Where the client wants to start: from now, after a valid cursor, or after a cursor that cannot be read. */
export type StartPoint = { kind: 'live' } | { kind: 'resume'; cursor: Cursor } | { kind: 'invalid' };

export type ResyncReason = 'cursor-expired' | 'cursor-invalid';

export class EventSession {
  private cursor: string[] = [];
  /** Live entries held back while replaying; null once live. */
  private held: StreamEntry[] | null = [];
  private subscription: HubSubscription | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly feed: EventFeed,
    private readonly out: EventWriter,
    private readonly filter: EventFilter,
    private readonly options: SessionOptions,
    /** Only warn is used; a request logger fits. */
    private readonly log: Pick<Logger, 'warn'>,
  ) {
    void out.whenClosed().then(() => this.close());
  }

  /** Streams until the client or the server closes; resolves once live (or closed). */
  async run(start: StartPoint): Promise<void> {
    if (this.closing) return; // the client left before we began: subscribing now would never be undone
    this.out.open(this.options.retryMs);
    this.subscription = this.feed.subscribe({
      onEntries: (entries) => this.onLive(entries),
      onStop: () => void this.close(),
    });
    this.cursor = [...this.subscription.position];
    try {
      if (start.kind === 'invalid') this.resyncRequired('cursor-invalid');
      if (start.kind === 'resume') await this.catchUp(start.cursor, this.subscription.position);
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

  private async catchUp(from: Cursor, upto: Cursor): Promise<void> {
    this.cursor = [...from];
    if ((await expiredPartitions(this.feed.log, from)).length > 0) this.resyncRequired('cursor-expired');
    for await (const entry of missedEntries(this.feed.log, from, upto, this.options.replayPageSize)) {
      if (this.closing) return;
      if (!this.deliver(entry)) await this.out.drained();
    }
  }

  private goLive(): void {
    const held = this.held ?? [];
    this.held = null;
    if (this.closing) return;
    for (const entry of held) this.deliver(entry);
    this.heartbeat = setInterval(() => this.out.comment('ping'), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private onLive(entries: readonly StreamEntry[]): void {
    if (this.closing) return;
    if (this.held) {
      this.held.push(...entries);
      return;
    }
    for (const entry of entries) this.deliver(entry);
    if (this.out.backlog > this.options.maxBacklogBytes) {
      this.log.warn({ backlog: this.out.backlog }, 'event client is not reading; disconnecting it');
      this.out.abort();
    }
  }

  /** The one gate every entry passes. False when the client's socket is full. */
  private deliver(entry: StreamEntry): boolean {
    if (!isAhead(this.cursor, entry.partition, entry.id)) return true;
    this.cursor[entry.partition] = entry.id;
    if (!this.filter(entry)) return true;
    return this.out.event(entry.type, publicPayload(entry), encodeCursor(this.cursor));
  }

  /** Tells the client its view may have a gap: reload the state it shows, then keep listening. */
  private resyncRequired(reason: ResyncReason): void {
    this.out.event('resync-required', JSON.stringify({ type: 'resync-required', reason }));
  }
}
