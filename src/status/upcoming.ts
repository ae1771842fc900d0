/**
 * Setting and clearing the upcoming status, always together with the event a UI needs to show it.
 * `reason` says why it changed: SET (a selection while engaged), CANCELLED (cancelled, or the current
 * status selected again), APPLIED (it became the status), SUPERSEDED (another status was applied or the
 * shift ended first), CONNECTION_LOST (the connection was lost and did not come back before the work ended),
 * or the error code that refused it when its turn came (STATUS_LIMIT_REACHED, STATUS_TYPE_NOT_FOUND, NO_SHIFT).
 *
 * What became of it stays readable in REST as `lastUpcoming` (outcome applied, cancelled or dropped), not only
 * in the event, so a client that missed the event still learns why its choice was not applied.
 */
import { emit, update, type Draft } from './draft.js';
import type { DomainErrorCode } from './errors.js';
import type { Cause, LastUpcoming } from './model.js';

export type UpcomingReason =
  | 'SET'
  | 'CANCELLED'
  | 'APPLIED'
  | 'SUPERSEDED'
  | 'CONNECTION_LOST'
  /** Only for the held Offline (`pendingOffline`): the connection came back before the work ended. */
  | 'CONNECTION_RESTORED'
  | DomainErrorCode;

const OUTCOME: Partial<Record<UpcomingReason, LastUpcoming['outcome']>> = {
  APPLIED: 'applied',
  CANCELLED: 'cancelled',
  SUPERSEDED: 'cancelled',
};

export function setUpcoming(d: Draft, statusId: string, cause: Cause): void {
  const upcoming = { id: statusId, selectedAt: d.ctx.now, cause, actor: d.actor };
  update(d, { upcoming });
  emit(d, 'user.upcoming.changed', { upcoming, reason: 'SET' satisfies UpcomingReason });
}

export function clearUpcoming(d: Draft, reason: UpcomingReason): void {
  const previous = d.state.upcoming;
  const lastUpcoming: LastUpcoming | null = previous
    ? { id: previous.id, outcome: OUTCOME[reason] ?? 'dropped', reason, at: d.ctx.now }
    : d.state.lastUpcoming;
  update(d, { upcoming: null, lastUpcoming });
  emit(d, 'user.upcoming.changed', { upcoming: null, reason });
}
