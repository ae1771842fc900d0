/**
 * Activities (calls, tasks, chats, interactions) make a user engaged. Begin and end are idempotent on
 * the activity id because PBX events arrive twice, late or out of order: an id that already ended is
 * remembered (a tombstone, see tombstones.ts), so a late "begin" after its "end" does not reopen it.
 */
import { CHANGED, NOOP, emit, update, type Draft, type Step } from './draft.js';
import { settleUpcoming } from './deferral.js';
import type { Command } from './model.js';
import { remember } from './tombstones.js';
import { startWrapUp } from './wrap-up.js';

export { TOMBSTONE_LIMIT, TOMBSTONE_TTL_SECONDS } from './tombstones.js';

type BeginActivity = Extract<Command, { type: 'beginActivity' }>;
type EndActivity = Extract<Command, { type: 'endActivity' }>;

export function beginActivity(d: Draft, { activity: begun }: BeginActivity): Step {
  const { activities, endedActivities } = d.state;
  const known = (list: Array<{ id: string }>) => list.some((item) => item.id === begun.id);
  if (known(activities) || known(endedActivities)) return NOOP;
  const activity = { ...begun, since: d.ctx.now };
  update(d, { activities: [...activities, activity] });
  emit(d, 'user.activity.started', { activity });
  return CHANGED;
}

export function endActivity(d: Draft, { activityId }: EndActivity): Step {
  const activity = d.state.activities.find((a) => a.id === activityId);
  if (!activity) return NOOP;
  update(d, {
    activities: d.state.activities.filter((a) => a.id !== activityId),
    endedActivities: remember(d.state.endedActivities, activityId, d.ctx.now),
  });
  if (activity.kind === 'call') startWrapUp(d, activityId);
  emit(d, 'user.activity.ended', { activity, endedAt: d.ctx.now, wrapUp: d.state.wrapUp });
  settleUpcoming(d);
  return CHANGED;
}
