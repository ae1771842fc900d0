/**
 * Wrap-up: after-call work during which the user is still engaged. It starts when a call ends (the
 * user's own wrapUpSeconds, else the global default; 0 = none) and ends when its timer fires or the
 * agent ends it early; either way a waiting upcoming status is then applied.
 *
 * endWrapUp without a wrap-up is an error rather than a no-op: it is an explicit API call, and telling
 * the agent "you were not in wrap-up" is clearer than a silent success. A wrap-up whose time has passed
 * but whose timer has not fired yet still counts as present here, so the agent can clear it.
 *
 * Each finished wrap-up is told by an internal `user.wrap-up.ended` event with its interval (from the call's
 * end until it ended, at most `until`), which the store keeps in the activity log for handle-time reports.
 */
import { CHANGED, NOOP, emit, schedule, update, type Draft, type Step } from './draft.js';
import { settleUpcoming } from './deferral.js';
import { DomainError } from './errors.js';
import type { Command, UserState } from './model.js';
import { addSeconds, isAfter } from './time.js';

type WrapUpElapsed = Extract<Command, { type: 'wrapUpElapsed' }>;

/** A later call's wrap-up replaces an earlier one, and its timer (same key) replaces the earlier timer. */
export function startWrapUp(d: Draft, activityId: string): void {
  const seconds = d.state.directory.wrapUpSeconds ?? d.ctx.config.wrapUpSeconds;
  if (seconds <= 0) return;
  if (d.state.wrapUp) recordWrapUp(d, d.state.wrapUp);
  const wrapUp = { activityId, since: d.ctx.now, until: addSeconds(d.ctx.now, seconds) };
  update(d, { wrapUp });
  schedule(d, 'wrapup', wrapUp.until, { type: 'wrapUpElapsed', activityId });
}

export function endWrapUp(d: Draft): Step {
  if (!d.state.wrapUp) return new DomainError('NOT_IN_WRAP_UP');
  finishWrapUp(d);
  return CHANGED;
}

/** Stale (no-op) when the wrap-up it was set for already ended or was replaced by a later call's. */
export function wrapUpElapsed(d: Draft, { activityId }: WrapUpElapsed): Step {
  if (d.state.wrapUp?.activityId !== activityId) return NOOP;
  finishWrapUp(d);
  return CHANGED;
}

/**
 * A wrap-up whose time is up is over, whether or not its timer has run yet (timers can be late). Any other
 * command first finishes it, so no command ever sees a user who is no longer engaged but still has an
 * upcoming status waiting. Returns whether it changed the draft.
 */
export function settleExpiredWrapUp(d: Draft): boolean {
  const wrapUp = d.state.wrapUp;
  if (!wrapUp || wrapUp.until > d.ctx.now) return false;
  finishWrapUp(d);
  return true;
}

/** The event is what makes the PBX sync run when no upcoming status follows (queues are paused for wrap-up). */
function finishWrapUp(d: Draft): void {
  if (d.state.wrapUp) recordWrapUp(d, d.state.wrapUp);
  update(d, { wrapUp: null });
  settleUpcoming(d);
}

/** Ended now, or when its time ran out if that was earlier (a late timer must not lengthen it). */
function recordWrapUp(d: Draft, wrapUp: NonNullable<UserState['wrapUp']>): void {
  const to = isAfter(wrapUp.until, d.ctx.now) ? d.ctx.now : wrapUp.until;
  emit(d, 'user.wrap-up.ended', { wrapUp, activityId: wrapUp.activityId, from: wrapUp.since, to });
}
