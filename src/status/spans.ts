/**
 * History spans: one per stay in a status. A span runs from the status' `since` to the moment the next
 * status is applied, which becomes the next span's `from`, so spans tile time without gaps.
 *
 * A span's `cause` (and actor, requestedBy, reason) is how its status was ENTERED (state.status), not why
 * it was left: history answers "why was the agent on break from 10:00 to 10:20", and the leaving cause is
 * the next span's cause anyway.
 *
 * Overage seconds come from the times, not from whether the overage timer ran: the time past the type's
 * allowance as the catalog has it when the span closes (a timer may be late or never run: daemon down,
 * backlog). A type deleted meanwhile has no allowance to ask, so the recorded overage is used.
 */
import type { HistorySpan, UserState } from './model.js';
import type { Catalog } from './status-type.js';
import { addSeconds, secondsBetween } from './time.js';

/** The current, still open span (`to: null`) with the seconds so far. */
export function openSpan(state: UserState, catalog: Catalog, now: string): HistorySpan {
  return { ...spanUntil(state, catalog, now), to: null };
}

/** The span the current status closes with when a new one is applied at `to`. */
export function closeSpan(state: UserState, catalog: Catalog, to: string): HistorySpan {
  return spanUntil(state, catalog, to);
}

function spanUntil(state: UserState, catalog: Catalog, end: string): HistorySpan {
  const { status } = state;
  const seconds = Math.max(0, secondsBetween(status.since, end));
  return {
    statusId: status.id,
    // A type deleted since the status was entered still needs a readable name in history.
    name: catalog.get(status.id)?.name ?? status.id,
    from: status.since,
    to: end,
    seconds,
    overageSeconds: Math.min(seconds, overageSecondsUntil(state, catalog, end)),
    cause: status.cause,
    actor: status.actor,
    requestedBy: status.requestedBy,
    reason: status.reason,
  };
}

/** When the current stay went over its allowance (the catalog's as it is now), or null when it cannot. */
export function overageStart(state: UserState, catalog: Catalog): string | null {
  const type = catalog.get(state.status.id);
  if (!type) return state.overage?.since ?? null;
  if (type.allowedMinutes === null) return null;
  return addSeconds(state.status.since, type.allowedMinutes * 60);
}

function overageSecondsUntil(state: UserState, catalog: Catalog, end: string): number {
  const start = overageStart(state, catalog);
  return start === null ? 0 : Math.max(0, secondsBetween(start, end));
}
