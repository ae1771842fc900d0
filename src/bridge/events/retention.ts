/**
 * Can a cursor still be resumed without a gap? Each partition stream is capped (MAXLEN ~), so a client away for
 * long may point before the oldest retained entry. Redis does not say which ids trimming removed, so the check is
 * conservative: a cursor before the oldest retained entry counts as a gap unless it is the very beginning of a
 * never-trimmed stream. A false "gap" costs the client one full refresh; a missed one would leave it silently wrong.
 *
 * A cursor ahead of everything the stream ever generated is not a gap but a cursor that was never issued here
 * (Redis lost its data, or the cursor is from another installation, or it was made up): `ahead`, which the client
 * is told as cursor-invalid, and the session starts that partition afresh instead of waiting for ids to catch up.
 */
import { compareStreamIds, ZERO_ID } from './stream-id.js';
import type { IndexRef, StreamInfo, StreamReader } from './stream-log.js';
import type { Cursor } from './sse-cursor.js';

export type CursorCheck = 'ok' | 'gap' | 'ahead';

export function checkCursor(seen: string, info: StreamInfo | null): CursorCheck {
  if (!info) return seen === ZERO_ID ? 'ok' : 'ahead';
  if (compareStreamIds(seen, info.lastGeneratedId) > 0) return 'ahead';
  if (info.firstId === null) return compareStreamIds(seen, info.lastGeneratedId) < 0 ? 'gap' : 'ok';
  if (compareStreamIds(seen, info.firstId) >= 0) return 'ok';
  return seen !== ZERO_ID || info.entriesAdded > info.length ? 'gap' : 'ok';
}

/** Kept for the callers that only ask "may something be missing": a gap, or a cursor that is not from here. */
export function hasGap(seen: string, info: StreamInfo | null): boolean {
  return checkCursor(seen, info) !== 'ok';
}

export interface CursorReport {
  /** Partitions whose entries after the cursor may have been trimmed away. */
  gaps: number[];
  /** Partitions where the cursor is ahead of anything the stream ever generated. */
  ahead: number[];
}

/**
 * Checks `cursor` in every partition, or with `indexes` only in their partitions (an index is trimmed with its
 * partition's window, so the partition's check covers it).
 */
export async function checkResume(
  log: StreamReader,
  cursor: Cursor,
  indexes?: readonly IndexRef[],
): Promise<CursorReport> {
  const infos = await log.infoAll();
  const partitions = indexes ? [...new Set(indexes.map((i) => i.partition))] : cursor.map((_, p) => p);
  const report: CursorReport = { gaps: [], ahead: [] };
  for (const p of partitions) {
    const verdict = checkCursor(cursor[p] ?? ZERO_ID, infos[p] ?? null);
    if (verdict === 'gap') report.gaps.push(p);
    if (verdict === 'ahead') report.ahead.push(p);
  }
  return report;
}
