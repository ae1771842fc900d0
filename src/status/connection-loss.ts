/**
 * What a lost connection does to the status (the "loss move"), kept apart from the heartbeat bookkeeping in
 * connection.ts.
 *
 * - Not engaged: Offline now (cause connection-lost), unless the current type keeps its status.
 * - Engaged: nothing changes yet, and the agent's own upcoming status is kept. The move is held beside it as
 *   `pendingOffline`. If the connection comes back before the work ends, the hold is dropped and the upcoming
 *   stays as it was. If not, when the work ends the upcoming is applied only if its type keeps its status on
 *   connection loss (else it is dropped, reason CONNECTION_LOST), and then Offline is applied with cause
 *   `connection-lost` unless the status now is one that keeps.
 * - Cancelling the pending Offline (DELETE .../status/upcoming) while the connection is still lost re-arms the
 *   timeout: after another connectionTimeoutSeconds without a heartbeat the move is made again.
 */
import { systemActor } from './actor.js';
import { applyStatus } from './apply-status.js';
import { emit, schedule, update, type Draft } from './draft.js';
import { isEngaged } from './engagement.js';
import { applyUpcoming } from './deferral.js';
import { scheduleOfflineShiftEnd } from './shift-timers.js';
import { OFFLINE } from './status-type.js';
import { addSeconds } from './time.js';
import { clearUpcoming, type UpcomingReason } from './upcoming.js';

const keeps = (d: Draft, statusId: string): boolean =>
  d.ctx.catalog.get(statusId)?.keepOnConnectionLoss ?? false;

/** The connection is (still) lost now: make the loss move, or hold it while engaged. */
export function loseConnection(d: Draft): void {
  const { status, upcoming } = d.state;
  scheduleOfflineShiftEnd(d);
  if (isEngaged(d.state, d.ctx.now)) {
    const nothingToDo = keeps(d, status.id) && (!upcoming || keeps(d, upcoming.id));
    if (!nothingToDo && !d.state.pendingOffline) holdOffline(d, { since: d.ctx.now }, 'CONNECTION_LOST');
    return;
  }
  if (!keeps(d, status.id) && status.id !== OFFLINE) applyStatus(d, OFFLINE, 'connection-lost');
}

/** The connection came back: whatever was held for it is dropped, the agent's upcoming stays. */
export function restoreConnection(d: Draft): void {
  if (d.state.pendingOffline) holdOffline(d, null, 'CONNECTION_RESTORED');
}

/** The work ended while Offline was held. Returns whether it handled the end of the engagement. */
export function settlePendingOffline(d: Draft): boolean {
  const held = d.state.pendingOffline;
  if (!held) return false;
  update(d, { pendingOffline: null });
  const { upcoming } = d.state;
  if (upcoming && keeps(d, upcoming.id)) applyUpcoming(d);
  else if (upcoming) clearUpcoming(d, 'CONNECTION_LOST');
  const { status } = d.state;
  if (status.id === OFFLINE || keeps(d, status.id)) return true;
  // The held move was the connection timer's, whoever ended the work.
  const requestedBy = {
    actor: systemActor('timer:connection'),
    cause: 'connection-lost' as const,
    at: held.since,
  };
  applyStatus(d, OFFLINE, 'connection-lost', { requestedBy });
  return true;
}

/** Cancelled by someone: while the connection is still lost, the timeout runs again from now. */
export function cancelPendingOffline(d: Draft): void {
  holdOffline(d, null, 'CANCELLED');
  const { state, lastSeen } = d.state.connection;
  if (state !== 'lost' || lastSeen === null) return;
  const dueAt = addSeconds(d.ctx.now, d.ctx.config.connectionTimeoutSeconds);
  schedule(d, 'conn', dueAt, { type: 'connectionTimeout', lastSeen, rearmed: true });
}

function holdOffline(d: Draft, pendingOffline: { since: string } | null, reason: UpcomingReason): void {
  update(d, { pendingOffline });
  emit(d, 'user.upcoming.changed', { upcoming: d.state.upcoming, pendingOffline, reason });
}
