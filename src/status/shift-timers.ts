/**
 * The timers that make sure an automatic shift end is looked at when it is due (shift-auto-end.ts decides):
 * `shift:` at the end fixed when the shift opens (maxHours, dayBoundary), `offline:` when the user goes Offline
 * or loses the connection. Both fire shiftAutoEnd for the shift they were set for; a timer whose moment passed
 * without reason to end (the user came back) is a no-op.
 */
import { schedule, type Draft } from './draft.js';
import { fixedShiftEnd, offlineShiftEnd } from './shift-auto-end.js';

export function scheduleShiftEnd(d: Draft): void {
  const { shift } = d.state;
  const end = shift ? fixedShiftEnd(shift, d.ctx) : null;
  if (shift && end) schedule(d, 'shift', end.at, { type: 'shiftAutoEnd', shiftId: shift.id });
}

export function scheduleOfflineShiftEnd(d: Draft): void {
  const { shift } = d.state;
  const dueAt = shift ? offlineShiftEnd(d.state, d.ctx) : null;
  if (shift && dueAt) schedule(d, 'offline', dueAt, { type: 'shiftAutoEnd', shiftId: shift.id });
}
