/**
 * Deferral: while the user is engaged a new status waits as `upcoming`; when the engagement ends
 * (last activity ended, wrap-up over) it is applied with cause `deferred`, after checking the entry
 * again because the shift's usage or the catalog may have changed meanwhile. Together these keep the
 * invariants: upcoming never equals the status, and nobody is left free with an upcoming pending.
 */
import { applyStatus, checkEntry, isForced } from './apply-status.js';
import { CHANGED, NOOP, type Draft, type Step } from './draft.js';
import { isEngaged } from './engagement.js';
import type { Cause } from './model.js';
import { clearUpcoming, setUpcoming } from './upcoming.js';

/** Enter `statusId` now, or make it upcoming while engaged. The caller has checked the entry. */
export function applyOrDefer(d: Draft, statusId: string, cause: Cause): Step {
  const { status, upcoming } = d.state;
  if (statusId === status.id) return cancelUpcoming(d);
  if (!isEngaged(d.state, d.ctx.now)) {
    applyStatus(d, statusId, cause);
    return CHANGED;
  }
  // The same request again (at-least-once delivery) must not move selectedAt or bump the version.
  if (upcoming?.id === statusId && upcoming.cause === cause) return NOOP;
  setUpcoming(d, statusId, cause);
  return CHANGED;
}

export function cancelUpcoming(d: Draft): Step {
  if (!d.state.upcoming) return NOOP;
  clearUpcoming(d, 'CANCELLED');
  return CHANGED;
}

/** Call after anything that may end the engagement. */
export function settleUpcoming(d: Draft): void {
  const { upcoming } = d.state;
  if (!upcoming || isEngaged(d.state, d.ctx.now)) return;
  // A forced move (connection lost while on a call) keeps its exemption from limits while it waits.
  const forced = isForced(upcoming.cause);
  const refusal = checkEntry(d.state, upcoming.id, d.ctx, forced);
  if (refusal) clearUpcoming(d, refusal.code);
  else applyStatus(d, upcoming.id, 'deferred', forced);
}
