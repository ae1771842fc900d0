/**
 * Reads the partition streams on the command client (the hub's own client is always blocked in XREAD): ranges of
 * entries for replay, and each stream's bounds for the start position and the retention check. `StreamReader`
 * is the port the SSE sessions use, so their logic is tested without Redis.
 */
import type { Redis } from 'ioredis';
import { execGrouped } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';
import { parseStreamEntry, type RawStreamEntry, type StreamEntry } from './stream-entry.js';
import { compareStreamIds, isStreamId, ZERO_ID } from './stream-id.js';

const msOf = (id: string): string => id.split('-')[0] ?? '0';

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
 * An index: the ids of a subset of one partition's entries (a zset written beside them by the commit scripts,
 * trimmed to the partition's window). `userId` null is partition 0's catalog index (status-type.changed);
 * otherwise the user's own entries. A zset, not a stream: a small stream costs Redis ~4.7 KiB, a small zset ~170 B.
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
  /** Like range, for the entries of an index only. */
  indexRange(index: IndexRef, after: string, upto: string, count: number): Promise<StreamEntry[]>;
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
    // Scores are milliseconds: the members of the bounds' milliseconds are read and cut by their full id here.
    const members = await this.redis.zrangebyscore(this.indexKey(index), msOf(after), msOf(upto));
    const ids = members
      .filter((id) => isStreamId(id) && compareStreamIds(id, after) > 0 && compareStreamIds(id, upto) <= 0)
      .sort(compareStreamIds)
      .slice(0, count);
    if (ids.length === 0) return [];
    const stream = this.keys.events(index.partition);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.xrange(stream, id, id);
    const replies = (await pipeline.exec()) ?? [];
    // An id whose entry was trimmed meanwhile is skipped: the retention check reports that gap.
    return replies.flatMap(([err, raw]) => {
      if (err) throw err;
      const [entry] = raw as RawStreamEntry[];
      return entry ? [parseStreamEntry(index.partition, entry)] : [];
    });
  }

  async indexLast(index: IndexRef, upto: string): Promise<string | null> {
    const members = await this.redis.zrevrangebyscore(
      this.indexKey(index),
      msOf(upto),
      '-inf',
      'LIMIT',
      0,
      16,
    );
    const ids = members
      .filter((id) => isStreamId(id) && compareStreamIds(id, upto) <= 0)
      .sort(compareStreamIds);
    return ids[ids.length - 1] ?? null;
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
