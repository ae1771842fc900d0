/**
 * selectStatus and cancelUpcoming: a status chosen by the agent, a supervisor, an integration or the
 * PBX. Refusals are checked in this order: unknown type, then (unless it is the current status)
 * limit and required shift. Selecting the current status only clears the upcoming one, and is never
 * refused by the limit: staying in a status is not entering it again. A status anyone but the system itself
 * picks starts the count of missed offers again (offers.ts).
 *
 * A forced selection (supervisor or admin; the HTTP layer checks who may) is applied now even while the user
 * is engaged (the activity goes on; only routing on the PBX changes) and past the per-shift limit (the entry
 * still counts); the supervisor's `reason` is recorded on the status and its span.
 */
import { isSystemItself, selectionCause } from './actor.js';
import { applyStatus, checkEntry } from './apply-status.js';
import { applyOrDefer, cancelUpcoming } from './deferral.js';
import { CHANGED, NOOP, type Draft, type Step } from './draft.js';
import { DomainError } from './errors.js';
import type { Command } from './model.js';
import { resetMissedOffers } from './offers.js';

export { cancelUpcoming };

type SelectStatus = Extract<Command, { type: 'selectStatus' }>;

export function selectStatus(d: Draft, command: SelectStatus): Step {
  const { statusId, force = false, reason } = command;
  if (!d.ctx.catalog.has(statusId)) return new DomainError('STATUS_TYPE_NOT_FOUND', { statusId });
  if (statusId !== d.state.status.id) {
    const refusal = checkEntry(d.state, statusId, d.ctx, force);
    if (refusal) return refusal;
  }
  const cause = selectionCause(d.actor);
  // Someone choosing (the agent, a supervisor, an integration, the agent on the phone) starts the count again.
  const reset = !isSystemItself(d.actor) && resetMissedOffers(d);
  if (!force || statusId === d.state.status.id) {
    const step = applyOrDefer(d, statusId, cause);
    return step === NOOP && reset ? CHANGED : step;
  }
  applyStatus(d, statusId, cause, { exempt: false, reason: reason ?? null });
  return CHANGED;
}
