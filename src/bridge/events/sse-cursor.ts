/**
 * The resumable SSE cursor. Events live in one Redis stream per partition, so "where a client is" is a vector:
 * the last stream id it has been given (or that was skipped for it) in EVERY partition. Each SSE `id:` carries
 * the whole vector, so a reconnect with `Last-Event-ID` can resume each partition exactly where it stopped.
 *
 * Wire format: `v1:` then one compact stream id per partition, in partition order, joined by `.`; a compact id
 * is `<ms base36>[-<seq base36>]`, and `0` means "nothing yet" (stream id 0-0). Example with 4 partitions:
 * `v1:lq3k2m1c.lq3k2m9d-2.0.lq3k2l00`. A cursor whose length differs from the configured partition count (the
 * data set was re-partitioned) is invalid, like any text that does not parse.
 */
import { compactStreamId, compareStreamIds, expandStreamId } from './stream-id.js';

const VERSION = 'v1:';

/** Index = partition; value = the last stream id accounted for in that partition. */
export type Cursor = readonly string[];

export function encodeCursor(cursor: Cursor): string {
  return VERSION + cursor.map(compactStreamId).join('.');
}

/** The cursor in `text`, or null when it is not one for `partitions` partitions. */
export function decodeCursor(text: string, partitions: number): string[] | null {
  if (!text.startsWith(VERSION)) return null;
  const ids = text.slice(VERSION.length).split('.').map(expandStreamId);
  if (ids.length !== partitions) return null;
  return ids.every((id): id is string => id !== null) ? ids : null;
}

/** True when the entry at `id` of `partition` is after the cursor, i.e. not yet accounted for. */
export function isAhead(cursor: Cursor, partition: number, id: string): boolean {
  const seen = cursor[partition];
  return seen === undefined || compareStreamIds(id, seen) > 0;
}
