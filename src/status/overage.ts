/**
 * Overage: time in a status past its type's `allowedMinutes`. The `overage:` timer set when such a status is
 * entered fires overageDue; it names the stay it was set for (statusId + since), and any other stay makes it
 * stale. The allowance is always read from the catalog as it is now, so overage follows the type as edited:
 *
 * - overageDue: removed meanwhile → nothing; still over → overage starts when the allowance ran out (not when
 *   the timer got to run); raised so that the stay is not over yet → nothing (the re-plan set a later timer).
 * - replanOverage (sent to every user in the type when an admin edits its allowance): lowered below the time
 *   already spent → overage starts at once; raised past it → the overage ends and a new timer is set; unset →
 *   the overage ends.
 *
 * The span's overage seconds do not depend on either: they are computed from the times when it closes (spans.ts).
 */
import { scheduleOverage } from './apply-status.js';
import { CHANGED, NOOP, emit, update, type Draft, type Step } from './draft.js';
import type { Command, UserState } from './model.js';
import { overageStart } from './spans.js';
import { isAfter } from './time.js';

type OverageDue = Extract<Command, { type: 'overageDue' }>;
type ReplanOverage = Extract<Command, { type: 'replanOverage' }>;

/** Fired before the allowance ran out (another daemon's clock is ahead): set again rather than lost. */
export function overageDue(d: Draft, { statusId, since }: OverageDue): Step {
  const { status, overage } = d.state;
  if (status.id !== statusId || status.since !== since || overage) return NOOP;
  if (startIfOver(d)) return CHANGED;
  const start = overageStart(d.state, d.ctx.catalog);
  if (start === null || !d.ctx.catalog.has(statusId)) return NOOP;
  scheduleOverage(d, statusId, since, d.ctx.now);
  return CHANGED;
}

export function replanOverage(d: Draft, { statusId }: ReplanOverage): Step {
  const { status, overage } = d.state;
  // The type may be gone by now: then nothing changes (no allowance to follow).
  if (status.id !== statusId || !d.ctx.catalog.has(statusId)) return NOOP;
  const start = overageStart(d.state, d.ctx.catalog);
  const allowedMinutes = d.ctx.catalog.get(statusId)?.allowedMinutes ?? null;
  if (start !== null && allowedMinutes !== null && !isAfter(start, d.ctx.now)) {
    if (overage?.since === start && overage.allowedMinutes === allowedMinutes) return NOOP;
    startOverage(d, { since: start, allowedMinutes });
    return CHANGED;
  }
  if (start !== null) scheduleOverage(d, statusId, status.since);
  if (overage) endOverage(d, overage);
  return start !== null || overage ? CHANGED : NOOP;
}

/** Starts the overage if the current stay is over its allowance now. */
function startIfOver(d: Draft): boolean {
  const start = overageStart(d.state, d.ctx.catalog);
  const allowedMinutes = d.ctx.catalog.get(d.state.status.id)?.allowedMinutes ?? null;
  // Allowance removed, or raised after entry so that the stay is not over yet.
  if (start === null || allowedMinutes === null || isAfter(start, d.ctx.now)) return false;
  startOverage(d, { since: start, allowedMinutes });
  return true;
}

/** Also when an edit moved a running overage: the event then carries the new `since`. */
function startOverage(d: Draft, started: NonNullable<UserState['overage']>): void {
  update(d, { overage: started });
  emit(d, 'user.overage.started', { statusId: d.state.status.id, ...started });
}

function endOverage(d: Draft, ended: NonNullable<UserState['overage']>): void {
  update(d, { overage: null });
  emit(d, 'user.overage.ended', {
    statusId: d.state.status.id,
    since: ended.since,
    reason: 'allowance-changed',
  });
}
