/**
 * Applying a status: the one place the current status changes. It closes the previous span, counts the
 * entry against the shift, clears overage and upcoming, and schedules the overage timer. Also here: the
 * entry check (type exists, limit, shift required) used both when a status is selected and again when a
 * deferred one is finally applied.
 */
import { emit, schedule, update, type Draft } from './draft.js';
import type { DecideContext } from './context.js';
import { DomainError } from './errors.js';
import { own } from './own.js';
import type { Cause, RequestedBy, UserState } from './model.js';
import { countEntry, openShift } from './shifts.js';
import { closeSpan } from './spans.js';
import { OFFLINE } from './status-type.js';
import { addSeconds, later } from './time.js';
import { clearUpcoming } from './upcoming.js';
import { scheduleOfflineShiftEnd } from './shift-timers.js';

/**
 * Moves the system makes on its own rather than anyone choosing a status. A limit caps choices, so
 * these are never refused by one and never use it up: an admin who limits Offline must not keep a
 * disconnected agent online.
 */
export function isForced(cause: Cause): boolean {
  return (
    cause === 'connection-lost' ||
    cause === 'shift-end' ||
    cause === 'shift-auto-end' ||
    cause === 'missed-offer'
  );
}

/** How a status is entered besides its cause. */
export interface EntryOptions {
  /** A system move: neither refused by nor counted against a limit (default: from the cause, see isForced). */
  exempt?: boolean;
  /** For a deferred application: who had selected it. */
  requestedBy?: RequestedBy | null;
  /** A supervisor's note on a forced change. */
  reason?: string | null;
}

/** Why `statusId` may not be entered now, or null. `forced` skips the per-shift limit. */
export function checkEntry(
  state: UserState,
  statusId: string,
  ctx: DecideContext,
  forced = false,
): DomainError | null {
  const type = ctx.catalog.get(statusId);
  if (!type) return new DomainError('STATUS_TYPE_NOT_FOUND', { statusId });
  const used = own(state.shift?.usage, statusId) ?? 0;
  const limit = type.limitPerShift;
  if (!forced && limit !== null && used >= limit) {
    return new DomainError('STATUS_LIMIT_REACHED', { limit, used });
  }
  if (ctx.config.requireShift && !state.shift && statusId !== OFFLINE) return new DomainError('NO_SHIFT');
  return null;
}

/** Makes `statusId` the current status now. The caller has checked the entry. */
export function applyStatus(d: Draft, statusId: string, cause: Cause, options: EntryOptions = {}): void {
  const exempt = options.exempt ?? isForced(cause);
  const prev = d.state;
  // A clock stepped back (another daemon's) must not give a negative span: start no earlier than the last.
  const at = later(d.ctx.now, prev.status.since);
  if (prev.upcoming) clearUpcoming(d, prev.upcoming.id === statusId ? 'APPLIED' : 'SUPERSEDED');
  if (!prev.shift && statusId !== OFFLINE && !d.ctx.config.requireShift) openShift(d);
  const { shift } = d.state;
  const status = {
    id: statusId,
    since: at,
    cause,
    actor: d.actor,
    requestedBy: options.requestedBy ?? null,
    reason: options.reason ?? null,
  };
  update(d, {
    status,
    overage: null,
    shift: shift && !exempt ? countEntry(shift, statusId) : shift,
  });
  const span = closeSpan(prev, d.ctx.catalog, at);
  emit(d, 'user.status.changed', {
    from: prev.status.id,
    to: statusId,
    cause,
    ...(status.requestedBy ? { requestedBy: status.requestedBy } : {}),
    ...(status.reason !== null ? { reason: status.reason } : {}),
    span,
  });
  scheduleOverage(d, statusId, at);
  // Offline, or a lost connection in a type that does not keep the status: the offline rule counts from now.
  scheduleOfflineShiftEnd(d);
}

/**
 * Uses the catalog as it is now, so an edited allowance applies from the next entry on. `rescheduledAt`: set
 * again by a timer that fired early or by a re-plan (see model.ts).
 */
export function scheduleOverage(d: Draft, statusId: string, since: string, rescheduledAt?: string): void {
  const minutes = d.ctx.catalog.get(statusId)?.allowedMinutes ?? null;
  if (minutes === null) return;
  const command = {
    type: 'overageDue',
    statusId,
    since,
    ...(rescheduledAt ? { rescheduledAt } : {}),
  } as const;
  schedule(d, 'overage', addSeconds(since, minutes * 60), command);
}
