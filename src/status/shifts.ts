/**
 * The shift record: opened explicitly or by the first status other than Offline, and the per-shift
 * usage counts that limits are checked against (a new shift starts from zero).
 */
import { emit, update, type Draft } from './draft.js';
import type { UserState } from './model.js';
import { own } from './own.js';
import { scheduleShiftEnd } from './shift-timers.js';

type Shift = NonNullable<UserState['shift']>;

/** Deterministic, so a retried command that opens a shift produces the same id. */
export function shiftId(userId: string, now: string): string {
  return `${userId}@${now}`;
}

export function openShift(d: Draft): void {
  const { now } = d.ctx;
  const shift: Shift = { id: shiftId(d.state.id, now), startedAt: now, usage: {} };
  update(d, { shift });
  emit(d, 'user.shift.started', { shift });
  scheduleShiftEnd(d);
}

/** A new object: the shift in an already emitted event must not change afterwards. */
export function countEntry(shift: Shift, statusId: string): Shift {
  return { ...shift, usage: { ...shift.usage, [statusId]: (own(shift.usage, statusId) ?? 0) + 1 } };
}
