/**
 * Offers: a call ringing the user's phone. An offer is not an activity — it engages nobody, defers no status,
 * starts no wrap-up and is no handle time — so a status picked while the phone rings applies at once. Answered,
 * the offer ends and the PBX reports the call as an activity; unanswered, it just ends.
 *
 * Missed offers (ring-no-answer) count in a row: `status.missedOffers` moves the user to its status (cause
 * `missed-offer`) once `threshold` are missed consecutively. An answered offer, a status the user (or a
 * supervisor, an integration, the phone) picks, a started shift and the move itself start the count again.
 * A miss counts only while the user is free and in a status that takes queue calls: a phone that rings out
 * during a break or next to a call in progress says nothing about an agent not responding.
 *
 * Begin, end and miss are idempotent on the offer id (tombstones, see tombstones.ts): PBX events come twice,
 * late, and a miss may be reported before or after the ringing stopped.
 */
import { applyOrDefer } from './deferral.js';
import { checkEntry } from './apply-status.js';
import { CHANGED, NOOP, emit, update, type Draft, type Step } from './draft.js';
import { isEngaged } from './engagement.js';
import type { Command, Offer } from './model.js';
import { remember } from './tombstones.js';

/** More simultaneous offers than this means ends were lost: the oldest is dropped (a reconcile repairs the rest). */
export const OFFER_LIMIT = 10;
/** Missed offer ids remembered for deduplication. */
export const MISSED_RECENT_LIMIT = 20;

type BeginOffer = Extract<Command, { type: 'beginOffer' }>;
type EndOffer = Extract<Command, { type: 'endOffer' }>;
type MissOffer = Extract<Command, { type: 'missOffer' }>;

export function beginOffer(d: Draft, { offer: begun }: BeginOffer): Step {
  const { offers, endedOffers } = d.state;
  const known = (list: Array<{ id: string }>) => list.some((item) => item.id === begun.id);
  if (known(offers) || known(endedOffers)) return NOOP;
  const offer: Offer = { ...begun, since: d.ctx.now };
  update(d, { offers: [...offers, offer] });
  emit(d, 'user.offer.started', { offer });
  const oldest = d.state.offers[0];
  if (d.state.offers.length > OFFER_LIMIT && oldest) closeOffer(d, oldest, false);
  return CHANGED;
}

/** An answered offer also ends a run of missed ones, even when its own begin was never seen. */
export function endOffer(d: Draft, { offerId, answered }: EndOffer): Step {
  const offer = d.state.offers.find((o) => o.id === offerId);
  const reset = answered && resetMissedOffers(d);
  if (offer) closeOffer(d, offer, answered);
  return offer || reset ? CHANGED : NOOP;
}

export function missOffer(d: Draft, { offerId, source }: MissOffer): Step {
  const { missedOffers } = d.state;
  if (missedOffers.recent.includes(offerId)) return NOOP;
  const offer = d.state.offers.find((o) => o.id === offerId);
  if (offer) closeOffer(d, offer, false);
  const counts = isAvailableForOffers(d);
  update(d, {
    missedOffers: {
      consecutive: missedOffers.consecutive + (counts ? 1 : 0),
      recent: [...missedOffers.recent, offerId].slice(-MISSED_RECENT_LIMIT),
    },
  });
  if (counts) recordMiss(d, offerId, source);
  return CHANGED;
}

/** Starts the count of consecutive missed offers again. Returns whether it changed anything. */
export function resetMissedOffers(d: Draft): boolean {
  const { missedOffers } = d.state;
  if (missedOffers.consecutive === 0) return false;
  update(d, { missedOffers: { ...missedOffers, consecutive: 0 } });
  return true;
}

function recordMiss(d: Draft, offerId: string, source: string): void {
  const consecutive = d.state.missedOffers.consecutive;
  const rule = d.ctx.config.missedOffers;
  emit(d, 'user.offer.missed', { offerId, source, consecutive, threshold: rule?.threshold ?? null });
  if (!rule || consecutive < rule.threshold) return;
  // A system move, like connection loss: a limit on the target type does not hold it back (isForced).
  if (checkEntry(d.state, rule.statusId, d.ctx, true)) return; // target type gone, or a shift is required
  resetMissedOffers(d);
  applyOrDefer(d, rule.statusId, 'missed-offer');
}

/** Free (no activity, no wrap-up) and in a status that takes queue calls. */
function isAvailableForOffers(d: Draft): boolean {
  if (isEngaged(d.state, d.ctx.now)) return false;
  return d.ctx.catalog.get(d.state.status.id)?.callHandling.queueLogin === true;
}

function closeOffer(d: Draft, offer: Offer, answered: boolean): void {
  update(d, {
    offers: d.state.offers.filter((o) => o.id !== offer.id),
    endedOffers: remember(d.state.endedOffers, offer.id, d.ctx.now),
  });
  emit(d, 'user.offer.ended', { offer, answered, endedAt: d.ctx.now });
}
