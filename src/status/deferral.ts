/**
 * Deferral: while the user is engaged a new status waits as `upcoming`; when the engagement ends
 * (last activity ended, wrap-up over) it is applied with cause `deferred`, after checking the entry
 * again because the shift's usage or the catalog may have changed meanwhile. Together these keep the
 * invariants: upcoming never equals the status, and nobody is left free with an upcoming pending.
 *
 * When the engagement ends, what is due is settled in this order: a shift that is due to end by itself ends
 * (shift-auto-end.ts); else an Offline held for a lost connection is applied (connection.ts); else the upcoming
 * status is applied. The deferred status records who had asked for it (`requestedBy`).
 */
import { applyStatus, checkEntry, isForced } from './apply-status.js';
import { cancelPendingOffline, settlePendingOffline } from './connection-loss.js';
import { CHANGED, NOOP, type Draft, type Step } from './draft.js';
import { isEngaged } from './engagement.js';
import type { Cause } from './model.js';
import { settleShiftAutoEnd } from './shift-auto-end.js';
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

/** Cancels the upcoming status and an Offline held for a lost connection (which re-arms the timeout). */
export function cancelUpcoming(d: Draft): Step {
  const upcoming = d.state.upcoming !== null;
  const held = d.state.pendingOffline !== null;
  if (upcoming) clearUpcoming(d, 'CANCELLED');
  if (held) cancelPendingOffline(d);
  return upcoming || held ? CHANGED : NOOP;
}

/** Call after anything that may end the engagement. */
export function settleUpcoming(d: Draft): void {
  if (isEngaged(d.state, d.ctx.now)) return;
  if (settleShiftAutoEnd(d)) return;
  if (!settlePendingOffline(d)) applyUpcoming(d);
  // Dropping what was upcoming can leave the user Offline long enough that the shift is due to end now.
  settleShiftAutoEnd(d);
}

/** Applies the upcoming status now, or drops it when its entry is refused at this point. */
export function applyUpcoming(d: Draft): void {
  const { upcoming } = d.state;
  if (!upcoming) return;
  // A forced move (e.g. a shift started while on a call) keeps its exemption from limits while it waits.
  const forced = isForced(upcoming.cause);
  const refusal = checkEntry(d.state, upcoming.id, d.ctx, forced);
  if (refusal) return clearUpcoming(d, refusal.code);
  const requestedBy = { actor: upcoming.actor, cause: upcoming.cause, at: upcoming.selectedAt };
  applyStatus(d, upcoming.id, 'deferred', { exempt: forced, requestedBy });
}
