/**
 * A shift ends by itself, whichever comes first (DecideConfig.shift):
 * - `offline`: Offline, or the connection lost in a type that does not keep its status, for
 *   endAfterOfflineMinutes (measured from the later of that moment and the shift start), with no other status
 *   upcoming;
 * - `max-hours`: the shift is maxHours long;
 * - `day-boundary`: the local time in `timezone` passed dayBoundary since the shift started.
 *
 * Whether a shift is due is computed from the state, the rules and now, so it does not depend on a timer having
 * run: the `shift:`/`offline:` timers (shift-timers.ts) only make sure someone asks, and any command first ends a
 * due shift (decide.ts), like an expired wrap-up. Never while engaged: the call goes on, and the shift ends
 * when the work does (deferral.ts). Ending applies Offline with cause `shift-auto-end` (a shift already Offline
 * keeps its span) and drops what was pending; usage starts fresh with the next shift.
 */
import { applyStatus } from './apply-status.js';
import type { DecideContext } from './context.js';
import { nextDayBoundary } from './day-boundary.js';
import { CHANGED, NOOP, emit, schedule, update, type Draft, type Step } from './draft.js';
import { isEngaged } from './engagement.js';
import type { Command, UserState } from './model.js';
import { OFFLINE } from './status-type.js';
import { addSeconds, isAfter } from './time.js';
import { clearUpcoming } from './upcoming.js';

export type AutoEndTrigger = 'offline' | 'max-hours' | 'day-boundary';

type ShiftAutoEnd = Extract<Command, { type: 'shiftAutoEnd' }>;
type Shift = NonNullable<UserState['shift']>;

/** The end fixed at the shift's start by maxHours and dayBoundary (the earlier), or null. */
export function fixedShiftEnd(
  shift: Shift,
  ctx: DecideContext,
): { at: string; trigger: AutoEndTrigger } | null {
  const rules = ctx.config.shift;
  const ends: Array<{ at: string; trigger: AutoEndTrigger }> = [];
  if (rules?.maxHours)
    ends.push({ at: addSeconds(shift.startedAt, rules.maxHours * 3600), trigger: 'max-hours' });
  if (rules?.dayBoundary) {
    const at = nextDayBoundary(shift.startedAt, rules.dayBoundary, ctx.config.timezone ?? 'UTC');
    ends.push({ at, trigger: 'day-boundary' });
  }
  return earliest(ends);
}

/** Since when the user has been Offline or lost (as the rule counts it) within the shift, or null. */
export function offlineSince(state: UserState, ctx: DecideContext): string | null {
  const { shift, status, connection, upcoming } = state;
  // A user with a status to come (e.g. the shift's first status, waiting for a call to end) is on the way back.
  if (!shift || upcoming) return null;
  const since: string[] = [];
  if (status.id === OFFLINE) since.push(status.since);
  const keeps = ctx.catalog.get(status.id)?.keepOnConnectionLoss ?? false;
  if (connection.state === 'lost' && connection.lastSeen && !keeps) {
    // Lost, and in a type that does not keep its status: counted from the later of the two (the earlier status
    // may have kept it; not knowing, the rule errs on the side of a longer shift).
    const lostAt = addSeconds(connection.lastSeen, ctx.config.connectionTimeoutSeconds);
    since.push(isAfter(status.since, lostAt) ? status.since : lostAt);
  }
  const first = earliest(since.map((at) => ({ at, trigger: 'offline' as const })));
  if (!first) return null;
  return isAfter(shift.startedAt, first.at) ? shift.startedAt : first.at;
}

/** When the offline rule ends the shift if nothing changes, or null. */
export function offlineShiftEnd(state: UserState, ctx: DecideContext): string | null {
  const minutes = ctx.config.shift?.endAfterOfflineMinutes ?? null;
  const since = minutes === null ? null : offlineSince(state, ctx);
  return since === null || minutes === null ? null : addSeconds(since, minutes * 60);
}

/** The rule that ends the shift now, or null. */
export function autoEndDue(state: UserState, ctx: DecideContext): AutoEndTrigger | null {
  if (!state.shift) return null;
  const offline = offlineShiftEnd(state, ctx);
  const ends = [
    fixedShiftEnd(state.shift, ctx),
    offline ? { at: offline, trigger: 'offline' as const } : null,
  ];
  const due = earliest(ends.filter((e): e is NonNullable<typeof e> => e !== null && !isAfter(e.at, ctx.now)));
  return due?.trigger ?? null;
}

/**
 * Timer: stale for another shift; while engaged the end of the work asks again. A timer that fires before its
 * moment (another daemon's clock is ahead) sets itself again rather than being lost.
 */
export function shiftAutoEnd(d: Draft, { shiftId }: ShiftAutoEnd): Step {
  const { shift } = d.state;
  if (shift?.id !== shiftId) return NOOP;
  if (settleShiftAutoEnd(d)) return CHANGED;
  if (isEngaged(d.state, d.ctx.now)) return NOOP;
  const fixed = fixedShiftEnd(shift, d.ctx);
  const offline = offlineShiftEnd(d.state, d.ctx);
  const next = earliest([fixed, offline ? { at: offline, trigger: 'offline' as const } : null]);
  if (!next) return NOOP;
  const again = { type: 'shiftAutoEnd', shiftId, rescheduledAt: d.ctx.now } as const;
  schedule(d, next.trigger === 'offline' ? 'offline' : 'shift', next.at, again);
  return CHANGED;
}

/** Ends the shift if it is due and the user is not engaged. Returns whether it did. */
export function settleShiftAutoEnd(d: Draft): boolean {
  if (isEngaged(d.state, d.ctx.now)) return false;
  const trigger = autoEndDue(d.state, d.ctx);
  if (!trigger) return false;
  const { shift, status, upcoming } = d.state;
  // Not engaged, so an upcoming status can only be left by a wrap-up that ran out just now: it ends with the shift.
  if (upcoming) clearUpcoming(d, 'SUPERSEDED');
  update(d, { shift: null, pendingOffline: null });
  if (status.id !== OFFLINE) applyStatus(d, OFFLINE, 'shift-auto-end');
  emit(d, 'user.shift.ended', { shift, cause: 'shift-auto-end', trigger });
  return true;
}

function earliest<T extends { at: string }>(list: ReadonlyArray<T | null>): T | null {
  let first: T | null = null;
  for (const item of list) if (item && (!first || isAfter(first.at, item.at))) first = item;
  return first;
}
