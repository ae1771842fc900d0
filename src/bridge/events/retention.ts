/**
 * Can a cursor still be resumed without a gap? Each partition stream is capped (MAXLEN ~), so a client away for
 * long may point before the oldest retained entry. Redis does not say which ids trimming removed, so the check is
 * conservative: a cursor before the oldest retained entry counts as a gap unless it is the very beginning of a
 * never-trimmed stream. A cursor ahead of everything the stream ever generated (Redis lost its data, or the
 * cursor is from another installation) is a gap too. A false "gap" costs the client one full refresh; a missed
 * one would leave it silently wrong.
 */
import { compareStreamIds, ZERO_ID } from './stream-id.js';
import type { StreamInfo, StreamReader } from './stream-log.js';
import type { Cursor } from './sse-cursor.js';

export function hasGap(seen: string, info: StreamInfo | null): boolean {
  if (!info) return seen !== ZERO_ID;
  if (compareStreamIds(seen, info.lastGeneratedId) > 0) return true;
  if (info.firstId === null) return compareStreamIds(seen, info.lastGeneratedId) < 0;
  if (compareStreamIds(seen, info.firstId) >= 0) return false;
  return seen !== ZERO_ID || info.entriesAdded > info.length;
}

/** Partitions where entries after `cursor` may have been trimmed away. */
export async function expiredPartitions(log: StreamReader, cursor: Cursor): Promise<number[]> {
  const infos = await log.infoAll();
  return cursor.flatMap((seen, p) => (hasGap(seen, infos[p] ?? null) ? [p] : []));
}
