/**
 * Tombstones: ids of recently ended activities or offers, so a late or repeated "begin" after the "end" does not
 * reopen them (PBX events arrive twice, late or out of order). Bounded: the last TOMBSTONE_LIMIT ends, none older
 * than TOMBSTONE_TTL_SECONDS. A duplicate later than that is not plausible, and the state must stay small.
 */
import { secondsBetween } from './time.js';

export const TOMBSTONE_LIMIT = 50;
export const TOMBSTONE_TTL_SECONDS = 3600;

export type Tombstones = Array<{ id: string; endedAt: string }>;

export function remember(tombstones: Tombstones, id: string, now: string): Tombstones {
  const recent = tombstones.filter((t) => secondsBetween(t.endedAt, now) < TOMBSTONE_TTL_SECONDS);
  return [...recent, { id, endedAt: now }].slice(-TOMBSTONE_LIMIT);
}
