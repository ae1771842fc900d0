/**
 * Wrap-up: after-call work during which the user is still engaged. It starts when a call ends (the
 * user's own wrapUpSeconds, else the global default; 0 = none) and ends when its timer fires or the
 * agent ends it early; either way a waiting upcoming status is then applied.
 *
 * The agent (or a supervisor) may extend it, up to wrapUpMaxSeconds counted from the call's end (`since`). An
 * extension reschedules the timer under the same key; the earlier timer still fires at the old time, and is
 * recognised as stale because the `until` it carries is no longer the wrap-up's.
 *
 * endWrapUp without a wrap-up is an error rather than a no-op: it is an explicit API call, and telling
 * the agent "you were not in wrap-up" is clearer than a silent success. A wrap-up whose time has passed
 * but whose timer has not fired yet still counts as present here, so the agent can clear it.
 *
 * Each finished wrap-up is told by a `user.wrap-up.ended` event with its interval (from the call's
 * end until it ended, at most `until`), which the store keeps in the activity log for handle-time reports.
 */
import { CHANGED, NOOP, emit, schedule, update, type Draft, type Step } from './draft.js';
import { settleUpcoming } from './deferral.js';
import { DomainError } from './errors.js';
import type { Command, UserState } from './model.js';
import { addSeconds, isAfter, secondsBetween } from './time.js';

type WrapUp = NonNullable<UserState['wrapUp']>;
type WrapUpElapsed = Extract<Command, { type: 'wrapUpElapsed' }>;
type ExtendWrapUp = Extract<Command, { type: 'extendWrapUp' }>;

/** A later call's wrap-up replaces an earlier one, and its timer (same key) replaces the earlier timer. */
export function startWrapUp(d: Draft, activityId: string): void {
  const seconds = d.state.directory.wrapUpSeconds ?? d.ctx.config.wrapUpSeconds;
  if (seconds <= 0) return;
  // The earlier wrap-up ends here (or when its time ran out): its interval is recorded.
  if (d.state.wrapUp) recordWrapUp(d, d.state.wrapUp, 'replaced');
  const wrapUp = { activityId, since: d.ctx.now, until: addSeconds(d.ctx.now, seconds) };
  update(d, { wrapUp });
  scheduleEnd(d, wrapUp);
}

export function endWrapUp(d: Draft): Step {
  if (!d.state.wrapUp) return new DomainError('NOT_IN_WRAP_UP');
  finishWrapUp(d, 'ended');
  return CHANGED;
}

/**
 * Refused when it would make the wrap-up last longer than wrapUpMaxSeconds from the call's end; the details say
 * how much is left. A wrap-up whose time is up was already finished by decide() and is not there to extend.
 */
export function extendWrapUp(d: Draft, { seconds }: ExtendWrapUp): Step {
  const wrapUp = d.state.wrapUp;
  if (!wrapUp) return new DomainError('NOT_IN_WRAP_UP');
  if (!(seconds > 0)) return NOOP; // the API only sends positive whole seconds; anything else changes nothing
  const maxSeconds = d.ctx.config.wrapUpMaxSeconds;
  const latest = addSeconds(wrapUp.since, maxSeconds);
  const until = addSeconds(wrapUp.until, seconds);
  if (isAfter(until, latest)) {
    const remainingSeconds = Math.max(0, Math.floor(secondsBetween(wrapUp.until, latest)));
    return new DomainError('WRAP_UP_LIMIT_REACHED', { maxSeconds, remainingSeconds });
  }
  const extended = { ...wrapUp, until };
  update(d, { wrapUp: extended });
  scheduleEnd(d, extended);
  emit(d, 'user.wrap-up.extended', { wrapUp: extended, seconds });
  return CHANGED;
}

/** Stale (no-op) when the wrap-up it was set for already ended, was replaced by a later call's, or was extended. */
export function wrapUpElapsed(d: Draft, { activityId, until }: WrapUpElapsed): Step {
  const wrapUp = d.state.wrapUp;
  if (wrapUp?.activityId !== activityId) return NOOP;
  if (until !== undefined && Date.parse(until) !== Date.parse(wrapUp.until)) return NOOP;
  finishWrapUp(d, 'elapsed');
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
  finishWrapUp(d, 'elapsed');
  return true;
}

function scheduleEnd(d: Draft, wrapUp: WrapUp): void {
  const { activityId, until } = wrapUp;
  schedule(d, 'wrapup', until, { type: 'wrapUpElapsed', activityId, until });
}

/**
 * The event makes the PBX sync run when no upcoming status follows (queues are paused for wrap-up) and lets
 * screens drop the countdown; the start is told by `user.activity.ended`.
 */
function finishWrapUp(d: Draft, reason: 'ended' | 'elapsed'): void {
  if (d.state.wrapUp) recordWrapUp(d, d.state.wrapUp, reason);
  update(d, { wrapUp: null });
  settleUpcoming(d);
}

/**
 * Ended now, or when its time ran out if that was earlier (a late timer must not lengthen it). `from`/`to` is
 * the interval the activity log keeps for handle-time reports.
 */
function recordWrapUp(d: Draft, wrapUp: WrapUp, reason: 'ended' | 'elapsed' | 'replaced'): void {
  const to = isAfter(wrapUp.until, d.ctx.now) ? d.ctx.now : wrapUp.until;
  emit(d, 'user.wrap-up.ended', { wrapUp, reason, activityId: wrapUp.activityId, from: wrapUp.since, to });
}
