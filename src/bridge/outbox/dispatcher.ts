/**
 * The outbox dispatcher: reads every partition's event stream through a consumer group and hands each entry to
 * the handlers (timer scheduling, PBX sync enqueueing). An entry is acknowledged only after every handler
 * succeeded, so a crash or a Redis fault between commit and dispatch delays work but never loses it: unacked
 * entries are re-read by their consumer or, once idle, claimed by any daemon (XAUTOCLAIM).
 * Handlers must be idempotent (deterministic job ids), because an entry may be handled twice.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../redis/keys.js';
import { parseStreamEntry, type StreamEntry } from './outbox-entry.js';

export type OutboxHandler = (entry: StreamEntry) => Promise<void>;

const GROUP = 'dispatch';
type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

export interface DispatcherOptions {
  blockMs?: number;
  batch?: number;
  /** Entries unacked this long are claimed by whichever daemon runs its claim pass. */
  claimIdleMs?: number;
}

export class OutboxDispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly consumer = `c-${randomUUID().slice(0, 8)}`;
  private lastClaim = 0;
  private readonly opts: Required<DispatcherOptions>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly handlers: OutboxHandler[],
    private readonly log: Logger,
    options: DispatcherOptions = {},
  ) {
    this.opts = { blockMs: 1000, batch: 200, claimIdleMs: 5000, ...options };
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    await this.ensureGroups();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.redis.disconnect(); // ends a blocked XREADGROUP at once
    await this.loop;
  }

  private async ensureGroups(): Promise<void> {
    for (const p of this.keys.allPartitions()) {
      try {
        // From the beginning ("0"), so events committed before the first daemon ever started are dispatched.
        await this.redis.xgroup('CREATE', this.keys.events(p), GROUP, '0', 'MKSTREAM');
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
        await this.drain('>');
      } catch (err) {
        if (!this.running) break;
        pendingFirst = true;
        this.log.warn({ err: (err as Error).message }, 'outbox dispatch failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        await this.ensureGroups().catch(() => undefined);
      }
    }
  }

  /** One XREADGROUP over all partitions; `>` = new entries (blocking), `0` = this consumer's pending ones. */
  private async drain(from: '>' | '0'): Promise<void> {
    const partitions = this.keys.allPartitions();
    const streams = partitions.map((p) => this.keys.events(p));
    const args = from === '>' ? ['BLOCK', String(this.opts.blockMs)] : [];
    const reply = (await this.redis.call(
      'XREADGROUP',
      'GROUP',
      GROUP,
      this.consumer,
      'COUNT',
      String(this.opts.batch),
      ...args,
      'STREAMS',
      ...streams,
      ...streams.map(() => from),
    )) as XReadReply;
    for (const [stream, entries] of reply ?? []) {
      const partition = streams.indexOf(stream);
      await this.handleAll(stream, partition, entries);
    }
  }

  private async handleAll(
    stream: string,
    partition: number,
    entries: Array<[string, string[]]>,
  ): Promise<void> {
    const done: string[] = [];
    for (const [id, fields] of entries) {
      if (!fields) continue; // deleted by MAXLEN trimming while pending
      const entry = parseStreamEntry(partition, id, fields);
      for (const handle of this.handlers) await handle(entry);
      done.push(id);
    }
    if (done.length > 0) await this.redis.xack(stream, GROUP, ...done);
  }

  /** Takes over entries another consumer (a crashed daemon) left unacknowledged. */
  private async claimIdle(): Promise<void> {
    if (Date.now() - this.lastClaim < this.opts.claimIdleMs) return;
    this.lastClaim = Date.now();
    for (const p of this.keys.allPartitions()) {
      const stream = this.keys.events(p);
      const reply = (await this.redis.call(
        'XAUTOCLAIM',
        stream,
        GROUP,
        this.consumer,
        String(this.opts.claimIdleMs),
        '0-0',
        'COUNT',
        String(this.opts.batch),
      )) as [string, Array<[string, string[]]>];
      if (reply[1].length > 0) await this.handleAll(stream, p, reply[1]);
    }
  }
}
