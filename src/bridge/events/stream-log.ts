/**
 * Reads the partition streams on the command client (the hub's own client is always blocked in XREAD): ranges of
 * entries for replay, and each stream's bounds for the start position and the retention check. `StreamReader`
 * is the port the SSE sessions use, so their logic is tested without Redis.
 */
import type { Redis } from 'ioredis';
import { execGrouped } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';
import { parseStreamEntry, type RawStreamEntry, type StreamEntry } from './stream-entry.js';
import { ZERO_ID } from './stream-id.js';

/** What XINFO STREAM tells about a stream's retained window. */
export interface StreamInfo {
  length: number;
  /** Oldest retained entry; null when the stream is empty. */
  firstId: string | null;
  /** Newest id ever added (even if trimmed since). */
  lastGeneratedId: string;
  /** Entries ever added; more than `length` means some were trimmed. */
  entriesAdded: number;
}

/**
 * An index stream: a subset of one partition's entries under the same ids (written beside them by the commit
 * scripts). `userId` null is partition 0's catalog index (status-type.changed); otherwise the user's own entries.
 */
export interface IndexRef {
  partition: number;
  userId: string | null;
}

export interface StreamReader {
  readonly partitions: number;
  partitionOf(userId: string): number;
  /** Entries of `partition` after `after` (exclusive) up to `upto` (inclusive), oldest first, at most `count`. */
  range(partition: number, after: string, upto: string, count: number): Promise<StreamEntry[]>;
  /** Bounds of every partition's stream, by partition; null for a stream that does not exist. */
  infoAll(): Promise<Array<StreamInfo | null>>;
  /** Like range, on an index stream. */
  indexRange(index: IndexRef, after: string, upto: string, count: number): Promise<StreamEntry[]>;
  /** Like infoAll, for these index streams. */
  indexInfo(indexes: readonly IndexRef[]): Promise<Array<StreamInfo | null>>;
  /** The newest id of the index at or before `upto`, or null. */
  indexLast(index: IndexRef, upto: string): Promise<string | null>;
}

export class StreamLog implements StreamReader {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  get partitions(): number {
    return this.keys.partitions;
  }

  partitionOf(userId: string): number {
    return this.keys.partitionOf(userId);
  }

  async range(partition: number, after: string, upto: string, count: number): Promise<StreamEntry[]> {
    const key = this.keys.events(partition);
    const raw = (await this.redis.xrange(key, `(${after}`, upto, 'COUNT', count)) as RawStreamEntry[];
    return raw.map((entry) => parseStreamEntry(partition, entry));
  }

  async infoAll(): Promise<Array<StreamInfo | null>> {
    return this.infoOf(this.keys.allPartitions().map((p) => ({ key: this.keys.events(p), partition: p })));
  }

  async indexRange(index: IndexRef, after: string, upto: string, count: number): Promise<StreamEntry[]> {
    const raw = (await this.redis.xrange(
      this.indexKey(index),
      `(${after}`,
      upto,
      'COUNT',
      count,
    )) as RawStreamEntry[];
    return raw.map((entry) => parseStreamEntry(index.partition, entry));
  }

  async indexInfo(indexes: readonly IndexRef[]): Promise<Array<StreamInfo | null>> {
    return this.infoOf(indexes.map((index) => ({ key: this.indexKey(index), partition: index.partition })));
  }

  async indexLast(index: IndexRef, upto: string): Promise<string | null> {
    const raw = (await this.redis.xrevrange(this.indexKey(index), upto, '-', 'COUNT', 1)) as RawStreamEntry[];
    return raw[0]?.[0] ?? null;
  }

  private indexKey(index: IndexRef): string {
    return index.userId === null ? this.keys.catalogEvents() : this.keys.userEvents(index.userId);
  }

  private async infoOf(
    streams: Array<{ key: string; partition: number }>,
  ): Promise<Array<StreamInfo | null>> {
    // EXISTS next to XINFO tells "no stream yet" (XINFO then fails) from a real failure without reading error text.
    // One pipeline, or one per partition (slot) in a cluster.
    const results = await execGrouped(
      this.redis,
      streams,
      (s) => s.partition,
      (pipeline, s) => pipeline.exists(s.key).xinfo('STREAM', s.key),
    );
    return streams.map((_, i) => {
      const [existsErr, exists] = results[2 * i] ?? [null, 0];
      const [infoErr, reply] = results[2 * i + 1] ?? [null, null];
      if (!infoErr) return parseInfo(reply as unknown[]);
      if (!existsErr && exists === 0) return null;
      throw infoErr;
    });
  }

  /** Where a reader that wants only what comes next starts: each stream's newest id. */
  async tailIds(): Promise<string[]> {
    return (await this.infoAll()).map((info) => info?.lastGeneratedId ?? ZERO_ID);
  }
}

/** XINFO STREAM answers a flat [name, value, ...] list; first-entry is [id, fields] or nil. */
function parseInfo(reply: unknown[]): StreamInfo {
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const first = fields.get('first-entry') as RawStreamEntry | null | undefined;
  const length = Number(fields.get('length') ?? 0);
  return {
    length,
    firstId: first ? first[0] : null,
    lastGeneratedId: String(fields.get('last-generated-id') ?? ZERO_ID),
    // Redis < 7 does not report it; assuming nothing was trimmed then errs towards no false resync.
    entriesAdded: Number(fields.get('entries-added') ?? length),
  };
}
