/**
 * History spans: one per stay in a status. A span runs from the status' `since` to the moment the next
 * status is applied, which becomes the next span's `from`, so spans tile time without gaps.
 *
 * A span's `cause` is the cause with which its status was ENTERED (state.status.cause), not why it was
 * left: history answers "why was the agent on break from 10:00 to 10:20", and the leaving cause is the
 * next span's cause anyway.
 */
import type { HistorySpan, UserState } from './model.js';
import type { Catalog } from './status-type.js';
import { secondsBetween } from './time.js';

/** The current, still open span (`to: null`) with the seconds so far. */
export function openSpan(state: UserState, catalog: Catalog, now: string): HistorySpan {
  return { ...spanUntil(state, catalog, now), to: null };
}

/** The span the current status closes with when a new one is applied at `to`. */
export function closeSpan(state: UserState, catalog: Catalog, to: string): HistorySpan {
  return spanUntil(state, catalog, to);
}

function spanUntil(state: UserState, catalog: Catalog, end: string): HistorySpan {
  const { status, overage } = state;
  return {
    statusId: status.id,
    // A type deleted since the status was entered still needs a readable name in history.
    name: catalog.get(status.id)?.name ?? status.id,
    from: status.since,
    to: end,
    seconds: Math.max(0, secondsBetween(status.since, end)),
    overageSeconds: overage ? Math.max(0, secondsBetween(overage.since, end)) : 0,
    cause: status.cause,
  };
}
