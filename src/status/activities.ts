/**
 * Activities (calls, tasks, chats, interactions) make a user engaged. Begin and end are idempotent on
 * the activity id because PBX events arrive twice, late or out of order: an id that already ended is
 * remembered (a tombstone, see tombstones.ts), so a late "begin" after its "end" does not reopen it. That
 * includes an end that arrives before its begin: the unknown id is remembered too, and the begin that follows is
 * ignored.
 *
 * No activity is stuck forever: one open longer than `maxActivityHours` (its end was lost) is ended with
 * cause `stale`, by the stale timer or by the next command that finds it (decide.ts). A stale end starts no
 * wrap-up. There is one stale timer per user at a time (`staleCheckAt`), set for the oldest open activity, not
 * one per call: an agent's hundred calls a day would otherwise keep a hundred delayed jobs in Redis for hours.
 */
import { CHANGED, NOOP, emit, schedule, update, type Draft, type Step } from './draft.js';
import { DomainError } from './errors.js';
import { settleUpcoming } from './deferral.js';
import type { Activity, Command } from './model.js';
import { addSeconds, isAfter } from './time.js';
import { remember } from './tombstones.js';
import { startWrapUp } from './wrap-up.js';

export { TOMBSTONE_LIMIT, TOMBSTONE_TTL_SECONDS } from './tombstones.js';

/**
 * Open activities a user may have when the configuration names no maximum. Every command reads and writes the
 * whole state, so thousands of open activities (a buggy integration, or a hostile one) would slow every change.
 */
export const DEFAULT_MAX_OPEN_ACTIVITIES = 50;

type BeginActivity = Extract<Command, { type: 'beginActivity' }>;
type EndActivity = Extract<Command, { type: 'endActivity' }>;
type ActivityStale = Extract<Command, { type: 'activityStale' }>;

export function beginActivity(d: Draft, { activity: begun }: BeginActivity): Step {
  const { activities, endedActivities } = d.state;
  const known = (list: Array<{ id: string }>) => list.some((item) => item.id === begun.id);
  if (known(activities) || known(endedActivities)) return NOOP;
  const limit = d.ctx.config.maxOpenActivities ?? DEFAULT_MAX_OPEN_ACTIVITIES;
  if (activities.length >= limit) return new DomainError('TOO_MANY_ACTIVITIES', { limit });
  const activity = { ...begun, since: d.ctx.now };
  update(d, { activities: [...activities, activity] });
  emit(d, 'user.activity.started', { activity });
  // One timer per user; a mark left in the past means its timer was lost, so one is set again.
  const pending = d.state.staleCheckAt;
  if (pending === null || !isAfter(pending, d.ctx.now)) scheduleStaleCheck(d);
  return CHANGED;
}

export function endActivity(d: Draft, { activityId }: EndActivity): Step {
  const activity = d.state.activities.find((a) => a.id === activityId);
  if (!activity) return rememberUnknownEnd(d, activityId);
  closeActivity(d, activity, 'ended');
  return CHANGED;
}

/**
 * Timer: ends what is stale (decide() has already, before any command) and sets the timer again for the oldest
 * activity still open. Fired early (another daemon's clock is ahead, or the maximum was raised), it is set
 * again for when that activity is due. Without activities it only clears the pending mark.
 */
export function activityStale(d: Draft, _command: ActivityStale): Step {
  const before = d.state.staleCheckAt;
  update(d, { staleCheckAt: null });
  endStaleActivities(d);
  scheduleStaleCheck(d, d.ctx.now);
  return before === null && d.state.staleCheckAt === null ? NOOP : CHANGED;
}

/**
 * Sets the stale timer for the oldest open activity, when there is one and a maximum is configured.
 * `rescheduledAt` when set again by the timer itself (see model.ts).
 */
function scheduleStaleCheck(d: Draft, rescheduledAt?: string): void {
  const maxHours = d.ctx.config.maxActivityHours ?? null;
  const oldest = d.state.activities[0];
  if (maxHours === null || !oldest) return;
  const dueAt = addSeconds(oldest.since, maxHours * 3600);
  update(d, { staleCheckAt: dueAt });
  const command = { type: 'activityStale', activityId: oldest.id, since: oldest.since } as const;
  schedule(d, 'stale', dueAt, rescheduledAt ? { ...command, rescheduledAt } : command);
}

/** Ends every activity older than the maximum; returns whether any was. */
export function endStaleActivities(d: Draft): boolean {
  const stale = d.state.activities.filter((a) => isStale(a, d));
  for (const activity of stale) closeActivity(d, activity, 'stale');
  return stale.length > 0;
}

function isStale(activity: Activity, d: Draft): boolean {
  const maxHours = d.ctx.config.maxActivityHours ?? null;
  return maxHours !== null && !isAfter(addSeconds(activity.since, maxHours * 3600), d.ctx.now);
}

function closeActivity(d: Draft, activity: Activity, cause: 'ended' | 'stale'): void {
  update(d, {
    activities: d.state.activities.filter((a) => a.id !== activity.id),
    endedActivities: remember(d.state.endedActivities, activity.id, d.ctx.now),
  });
  if (activity.kind === 'call' && cause === 'ended') startWrapUp(d, activity.id);
  emit(d, 'user.activity.ended', {
    activity,
    endedAt: d.ctx.now,
    wrapUp: d.state.wrapUp,
    ...(cause === 'stale' ? { cause: 'stale' } : {}),
  });
  settleUpcoming(d);
}

/** An end before its begin: remembered so the late begin is ignored; a repeated one changes nothing. */
function rememberUnknownEnd(d: Draft, activityId: string): Step {
  if (d.state.endedActivities.some((t) => t.id === activityId)) return NOOP;
  update(d, { endedActivities: remember(d.state.endedActivities, activityId, d.ctx.now) });
  return CHANGED;
}
