/**
 * Applying a status: the one place the current status changes. It closes the previous span, counts the
 * entry against the shift, clears overage and upcoming, and schedules the overage timer. Also here: the
 * entry check (type exists, limit, shift required) used both when a status is selected and again when a
 * deferred one is finally applied.
 */
import { emit, schedule, update, type Draft } from './draft.js';
import type { DecideContext } from './context.js';
import { DomainError } from './errors.js';
import type { Actor, Cause, UserState } from './model.js';
import { countEntry, openShift } from './shifts.js';
import { closeSpan } from './spans.js';
import { OFFLINE } from './status-type.js';
import { addSeconds, later } from './time.js';
import { clearUpcoming } from './upcoming.js';

const ACTOR_CAUSE: Readonly<Record<Actor, Cause>> = {
  user: 'user',
  supervisor: 'supervisor',
  integration: 'supervisor',
  pbx: 'pbx',
  // The system acts on the user's behalf (e.g. the configured default status); no cause of its own.
  system: 'user',
};

export function causeOf(actor: Actor): Cause {
  return ACTOR_CAUSE[actor];
}

/**
 * Moves the system makes on its own rather than anyone choosing a status. A limit caps choices, so
 * these are never refused by one and never use it up: an admin who limits Offline must not keep a
 * disconnected agent online.
 */
export function isForced(cause: Cause): boolean {
  return cause === 'connection-lost' || cause === 'shift-end' || cause === 'missed-offer';
}

/** Why `statusId` may not be entered now, or null. */
export function checkEntry(
  state: UserState,
  statusId: string,
  ctx: DecideContext,
  forced = false,
): DomainError | null {
  const type = ctx.catalog.get(statusId);
  if (!type) return new DomainError('STATUS_TYPE_NOT_FOUND', { statusId });
  const used = state.shift?.usage[statusId] ?? 0;
  const limit = type.limitPerShift;
  if (!forced && limit !== null && used >= limit) {
    return new DomainError('STATUS_LIMIT_REACHED', { limit, used });
  }
  if (ctx.config.requireShift && !state.shift && statusId !== OFFLINE) return new DomainError('NO_SHIFT');
  return null;
}

/** Makes `statusId` the current status now. The caller has checked the entry. */
export function applyStatus(d: Draft, statusId: string, cause: Cause, forced = isForced(cause)): void {
  const prev = d.state;
  // A clock stepped back (another daemon's) must not give a negative span: start no earlier than the last.
  const at = later(d.ctx.now, prev.status.since);
  if (prev.upcoming) clearUpcoming(d, prev.upcoming.id === statusId ? 'APPLIED' : 'SUPERSEDED');
  if (!prev.shift && statusId !== OFFLINE && !d.ctx.config.requireShift) openShift(d);
  const { shift } = d.state;
  update(d, {
    status: { id: statusId, since: at, cause },
    overage: null,
    shift: shift && !forced ? countEntry(shift, statusId) : shift,
  });
  const span = closeSpan(prev, d.ctx.catalog, at);
  emit(d, 'user.status.changed', { from: prev.status.id, to: statusId, cause, span });
  scheduleOverage(d, statusId, at);
}

/** Uses the catalog as it is now, so an edited allowance applies from the next entry on. */
function scheduleOverage(d: Draft, statusId: string, since: string): void {
  const minutes = d.ctx.catalog.get(statusId)?.allowedMinutes ?? null;
  if (minutes === null) return;
  schedule(d, 'overage', addSeconds(since, minutes * 60), { type: 'overageDue', statusId, since });
}
