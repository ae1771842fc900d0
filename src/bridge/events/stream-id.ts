/**
 * Redis stream ids ("<ms>-<seq>") as the SSE layer needs them: compared numerically (string order is wrong once
 * the millisecond part gains a digit or the sequence passes 9), and written compactly in base 36 for cursors.
 */

/** The id before every entry: "nothing seen yet". */
export const ZERO_ID = '0-0';

const STREAM_ID = /^(\d{1,16})-(\d{1,16})$/;
const COMPACT_ID = /^([0-9a-z]{1,11})(?:-([0-9a-z]{1,11}))?$/;

function parts(id: string): [number, number] {
  const match = STREAM_ID.exec(id);
  if (!match) throw new Error(`not a stream id: ${id}`);
  return [Number(match[1]), Number(match[2])];
}

export function isStreamId(text: string): boolean {
  const match = STREAM_ID.exec(text);
  return match !== null && Number.isSafeInteger(Number(match[1])) && Number.isSafeInteger(Number(match[2]));
}

/** Negative, zero or positive like Array.sort wants. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = parts(a);
  const [bMs, bSeq] = parts(b);
  return aMs !== bMs ? aMs - bMs : aSeq - bSeq;
}

export const laterStreamId = (a: string, b: string): string => (compareStreamIds(a, b) >= 0 ? a : b);

/** "1700000000000-0" → "loyw3v28", "1700000000000-5" → "loyw3v28-5" (sequence 0 is the common case). */
export function compactStreamId(id: string): string {
  const [ms, seq] = parts(id);
  return seq === 0 ? ms.toString(36) : `${ms.toString(36)}-${seq.toString(36)}`;
}

/** The inverse of compactStreamId; null when `text` is not one. */
export function expandStreamId(text: string): string | null {
  const match = COMPACT_ID.exec(text);
  if (!match?.[1]) return null;
  const ms = parseInt(match[1], 36);
  const seq = match[2] === undefined ? 0 : parseInt(match[2], 36);
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) return null;
  return `${ms}-${seq}`;
}
