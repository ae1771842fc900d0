/**
 * startShift and endShift. Starting opens a shift and enters the given status (cause `shift-start`;
 * upcoming while engaged). Ending is refused while engaged and from a type without `canEndShift`, and
 * applies Offline (cause `shift-end`). A status type deleted since it was entered does not trap the
 * user in the shift: with no type to ask, ending is allowed.
 *
 * A forced end (supervisor or admin, e.g. for an agent who left) is refused by neither: Offline is applied
 * now even while engaged (the call goes on; the PBX stops routing new ones), and what was pending is dropped.
 */
import { applyStatus, checkEntry } from './apply-status.js';
import { applyOrDefer } from './deferral.js';
import { CHANGED, NOOP, emit, update, type Draft, type Step } from './draft.js';
import { isEngaged } from './engagement.js';
import { DomainError } from './errors.js';
import type { Command } from './model.js';
import { scheduleOfflineShiftEnd } from './shift-timers.js';
import { resetMissedOffers } from './offers.js';
import { openShift } from './shifts.js';
import { OFFLINE } from './status-type.js';
import { clearUpcoming } from './upcoming.js';

type StartShift = Extract<Command, { type: 'startShift' }>;
type EndShift = Extract<Command, { type: 'endShift' }>;

export function startShift(d: Draft, { statusId }: StartShift): Step {
  if (d.state.shift) return new DomainError('SHIFT_ALREADY_STARTED', { shiftId: d.state.shift.id });
  // Opened first so the entry is checked against the new shift's (empty) usage; on refusal the draft is dropped.
  openShift(d);
  const refusal = checkEntry(d.state, statusId, d.ctx);
  if (refusal) return refusal;
  resetMissedOffers(d);
  applyOrDefer(d, statusId, 'shift-start');
  // A shift started in Offline (or while the connection is lost) is already counting towards its offline end.
  scheduleOfflineShiftEnd(d);
  return CHANGED;
}

export function endShift(d: Draft, { force = false, reason }: EndShift): Step {
  const { shift, status, upcoming } = d.state;
  if (!shift) {
    // The shift was due to end by itself and decide() ended it just before this command: what was asked is done.
    return d.events.some((e) => e.type === 'user.shift.ended') ? NOOP : new DomainError('NO_SHIFT');
  }
  if (!force && isEngaged(d.state, d.ctx.now)) return new DomainError('USER_ENGAGED');
  if (!force && d.ctx.catalog.get(status.id)?.canEndShift === false) {
    return new DomainError('CANNOT_END_SHIFT', { statusId: status.id });
  }
  // Reachable without force only when a wrap-up ran out before its timer fired; what was pending ends with the shift.
  if (upcoming) clearUpcoming(d, 'SUPERSEDED');
  update(d, { shift: null, pendingOffline: null });
  // Already Offline (chosen during the shift): the span keeps the cause it was entered with.
  if (status.id !== OFFLINE) applyStatus(d, OFFLINE, 'shift-end', { reason: reason ?? null });
  emit(d, 'user.shift.ended', { shift, cause: 'shift-end', ...(force ? { forced: true } : {}) });
  return CHANGED;
}
