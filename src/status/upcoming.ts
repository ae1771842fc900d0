/**
 * Setting and clearing the upcoming status, always together with the event a UI needs to show it.
 * `reason` says why it changed: SET (a selection while engaged), CANCELLED (cancelled, or the current
 * status selected again), APPLIED (it became the status), SUPERSEDED (another status was applied or the
 * shift ended first), or the error code that refused it when its turn came (STATUS_LIMIT_REACHED,
 * STATUS_TYPE_NOT_FOUND, NO_SHIFT).
 */
import { emit, update, type Draft } from './draft.js';
import type { DomainErrorCode } from './errors.js';
import type { Cause } from './model.js';

export type UpcomingReason = 'SET' | 'CANCELLED' | 'APPLIED' | 'SUPERSEDED' | DomainErrorCode;

export function setUpcoming(d: Draft, statusId: string, cause: Cause): void {
  const upcoming = { id: statusId, selectedAt: d.ctx.now, cause };
  update(d, { upcoming });
  emit(d, 'user.upcoming.changed', { upcoming, reason: 'SET' satisfies UpcomingReason });
}

export function clearUpcoming(d: Draft, reason: UpcomingReason): void {
  update(d, { upcoming: null });
  emit(d, 'user.upcoming.changed', { upcoming: null, reason });
}
