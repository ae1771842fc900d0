/**
 * selectStatus and cancelUpcoming: a status chosen by the agent, a supervisor, an integration or the
 * PBX. Refusals are checked in this order: unknown type, then (unless it is the current status)
 * limit and required shift. Selecting the current status only clears the upcoming one, and is never
 * refused by the limit: staying in a status is not entering it again. A status anyone but the system picks
 * starts the count of missed offers again (offers.ts).
 */
import { causeOf, checkEntry } from './apply-status.js';
import { applyOrDefer } from './deferral.js';
import { CHANGED, NOOP, type Draft, type Step } from './draft.js';
import { DomainError } from './errors.js';
import type { Command } from './model.js';
import { resetMissedOffers } from './offers.js';

export { cancelUpcoming } from './deferral.js';

type SelectStatus = Extract<Command, { type: 'selectStatus' }>;

export function selectStatus(d: Draft, { statusId, actor }: SelectStatus): Step {
  if (!d.ctx.catalog.has(statusId)) return new DomainError('STATUS_TYPE_NOT_FOUND', { statusId });
  if (statusId !== d.state.status.id) {
    const refusal = checkEntry(d.state, statusId, d.ctx);
    if (refusal) return refusal;
  }
  const reset = actor !== 'system' && resetMissedOffers(d);
  const step = applyOrDefer(d, statusId, causeOf(actor));
  return step === NOOP && reset ? CHANGED : step;
}
