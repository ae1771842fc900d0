/** No activity is stuck forever (issue #12, point 2). */
import { describe, expect, it } from 'vitest';
import type { Env } from './fixtures.js';
import { USER, after, at, cmd, eventOf, expectNoop, run, types } from './fixtures.js';

const HOUR = 3600;
const env: Env = { config: { maxActivityHours: 12, wrapUpSeconds: 30 } };
const onCall = () =>
  after(
    [
      [cmd.select('active'), 0],
      [cmd.begin('c1'), 10],
      [cmd.select('lunch'), 20],
    ],
    env,
  );

describe('stale activities', () => {
  it('schedules the stale timer when an activity begins', () => {
    const { timers } = run(after([[cmd.select('active'), 0]], env), cmd.begin('c1'), 10, env);
    expect(timers).toEqual([
      {
        key: `stale:${USER}`,
        dueAt: at(10 + 12 * HOUR),
        command: { type: 'activityStale', activityId: 'c1', since: at(10) },
      },
    ]);
  });

  it('ends an activity open for maxActivityHours with cause stale, no wrap-up, and applies the upcoming status', () => {
    const { next, events } = run(onCall(), cmd.stale('c1', at(10)), 10 + 12 * HOUR, env);
    expect(next.activities).toEqual([]);
    expect(next.wrapUp).toBeNull();
    expect(next.status).toMatchObject({ id: 'lunch', cause: 'deferred' });
    const ended = eventOf(events, 'user.activity.ended');
    expect(ended.data).toMatchObject({ cause: 'stale', activity: { id: 'c1' } });
    expect(ended.actor).toEqual({ role: 'system', name: 'timer:stale-activity' });
    // A late duplicate begin of the same call does not reopen it.
    expectNoop(next, cmd.begin('c1'), 11 + 12 * HOUR, env);
  });

  it('keeps one timer per user, set for the oldest open activity', () => {
    const state = after([[cmd.begin('c2'), 100]], env, onCall());
    expect(state.staleCheckAt).toBe(at(10 + 12 * HOUR));
    // c2 began while the timer for c1 was pending: no second timer.
    expect(run(onCall(), cmd.begin('c2'), 100, env).timers).toEqual([]);
    // c1 ends; when the timer fires it is set again for c2, the oldest left.
    const ended = after(
      [
        [cmd.end('c1'), 200],
        [cmd.endWrapUp(), 201],
      ],
      env,
      state,
    );
    const { next, timers, events } = run(ended, cmd.stale('c1', at(10)), 10 + 12 * HOUR, env);
    expect(events).toEqual([]);
    expect(next.staleCheckAt).toBe(at(100 + 12 * HOUR));
    expect(timers).toEqual([
      {
        key: `stale:${USER}`,
        dueAt: at(100 + 12 * HOUR),
        command: {
          type: 'activityStale',
          activityId: 'c2',
          since: at(100),
          rescheduledAt: at(10 + 12 * HOUR),
        },
      },
    ]);
  });

  it('only clears its mark when nothing is open any more, and is a no-op without a mark', () => {
    const ended = after(
      [
        [cmd.end('c1'), 100],
        [cmd.endWrapUp(), 101],
      ],
      env,
      onCall(),
    );
    const { next, timers } = run(ended, cmd.stale('c1', at(10)), 10 + 12 * HOUR, env);
    expect(next.staleCheckAt).toBeNull();
    expect(timers).toEqual([]);
    expectNoop(next, cmd.stale('c1', at(10)), 11 + 12 * HOUR, env);
  });

  it('fired early, is set again for when the activity is due', () => {
    const early = run(onCall(), cmd.stale('c1', at(10)), 12 * HOUR, env);
    expect(early.next.activities).toHaveLength(1);
    expect(early.timers.map((t) => t.dueAt)).toEqual([at(10 + 12 * HOUR)]);
  });

  it('is ended by the next command even when its timer never ran', () => {
    const { next, events } = run(onCall(), cmd.heartbeat(), 13 * HOUR, env);
    expect(next.activities).toEqual([]);
    expect(types(events)).toContain('user.activity.ended');
    expect(next.status.id).toBe('lunch');
  });

  it('never happens without maxActivityHours', () => {
    const state = after(
      [
        [cmd.select('active'), 0],
        [cmd.begin('c1'), 10],
      ],
      { config: { maxActivityHours: null } },
    );
    expect(
      run(state, cmd.heartbeat(), 100 * HOUR, { config: { maxActivityHours: null } }).next.activities,
    ).toHaveLength(1);
  });
});
