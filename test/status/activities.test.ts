import { describe, expect, it } from 'vitest';
import { TOMBSTONE_LIMIT } from '../../src/status/activities.js';
import type { Command } from '../../src/status/model.js';
import { isEngaged } from '../../src/status/index.js';
import {
  ACTORS,
  CATALOG,
  USER,
  after,
  at,
  catalogOf,
  cmd,
  eventOf,
  expectNoop,
  refuse,
  run,
  statusType,
  types,
} from './fixtures.js';

const activeAt0 = () => after([[cmd.select('active'), 0]]);
/** Active, on call c1 from t=10, with lunch selected (upcoming) at t=20. */
const waitingForLunch = () =>
  after(
    [
      [cmd.begin('c1'), 10],
      [cmd.select('lunch'), 20],
    ],
    undefined,
    activeAt0(),
  );

describe('beginActivity', () => {
  it('refuses one more open activity than status.maxOpenActivities (409 TOO_MANY_ACTIVITIES)', () => {
    const env = { config: { maxOpenActivities: 3 } };
    const three = after(
      [1, 2, 3].map((n) => [cmd.begin(`c${n}`), n] as [Command, number]),
      env,
      activeAt0(),
    );
    const error = refuse(three, cmd.begin('c4'), 5, env);
    expect(error).toMatchObject({ code: 'TOO_MANY_ACTIVITIES', statusCode: 409, details: { limit: 3 } });
    // An id already open is still idempotent at the cap, and the default cap is 50.
    expectNoop(three, cmd.begin('c2'), 5, env);
    const fifty = after(
      Array.from({ length: 50 }, (_, n) => [cmd.begin(`x${n}`), 1] as [Command, number]),
      undefined,
      activeAt0(),
    );
    expect(refuse(fifty, cmd.begin('x50'), 2).code).toBe('TOO_MANY_ACTIVITIES');
  });

  it('opens the activity and emits user.activity.started', () => {
    const { next, events } = run(activeAt0(), cmd.begin('c1'), 10);
    const activity = { id: 'c1', kind: 'call', source: 'freepbx:main', since: at(10) };
    expect(next.activities).toEqual([activity]);
    expect(events).toEqual([
      { type: 'user.activity.started', userId: USER, at: at(10), actor: ACTORS.system, data: { activity } },
    ]);
  });

  it('is a no-op for an activity that is already open', () => {
    expectNoop(after([[cmd.begin('c1'), 10]], undefined, activeAt0()), cmd.begin('c1'), 12);
  });

  it('is a no-op for an activity that already ended (late begin after end)', () => {
    const state = after(
      [
        [cmd.begin('c1'), 10],
        [cmd.end('c1'), 20],
      ],
      undefined,
      activeAt0(),
    );
    expectNoop(state, cmd.begin('c1'), 30);
  });

  it('cancels neither the upcoming status nor a running wrap-up', () => {
    const env = { config: { wrapUpSeconds: 60 } };
    const state = after(
      [
        [cmd.begin('c2'), 21],
        [cmd.end('c2'), 22],
      ],
      env,
      waitingForLunch(),
    );
    const { next } = run(state, cmd.begin('c3'), 23, env);
    expect(next.upcoming).toEqual(state.upcoming);
    expect(next.wrapUp).toEqual(state.wrapUp);
  });
});

describe('endActivity', () => {
  it('remembers the end of an unknown activity, so its late begin is ignored (end before begin)', () => {
    const { next, events } = run(activeAt0(), cmd.end('early'), 10);
    expect(next.endedActivities).toEqual([{ id: 'early', endedAt: at(10) }]);
    expect(events).toEqual([]);
    expectNoop(next, cmd.end('early'), 11);
    expectNoop(next, cmd.begin('early'), 12);
    expect(isEngaged(next, at(12))).toBe(false);
  });

  it('closes the activity, remembers it, and emits user.activity.ended', () => {
    const state = after([[cmd.begin('t1', 'task'), 10]], undefined, activeAt0());
    const { next, events } = run(state, cmd.end('t1'), 25);
    expect(next.activities).toEqual([]);
    expect(next.endedActivities).toEqual([{ id: 't1', endedAt: at(25) }]);
    const activity = { id: 't1', kind: 'task', source: 'freepbx:main', since: at(10) };
    expect(events).toEqual([
      {
        type: 'user.activity.ended',
        userId: USER,
        at: at(25),
        actor: ACTORS.system,
        data: { activity, endedAt: at(25), wrapUp: null },
      },
    ]);
  });

  it('applies the upcoming status with cause deferred when the last activity ends', () => {
    const { next, events } = run(waitingForLunch(), cmd.end('c1'), 30);
    expect(next.status).toEqual({
      id: 'lunch',
      since: at(30),
      cause: 'deferred',
      actor: ACTORS.system,
      requestedBy: { actor: ACTORS.user, cause: 'user', at: at(20) },
      reason: null,
    });
    expect(next.upcoming).toBeNull();
    expect(next.shift?.usage).toEqual({ active: 1, lunch: 1 });
    expect(types(events)).toEqual(['user.activity.ended', 'user.upcoming.changed', 'user.status.changed']);
    expect(eventOf(events, 'user.upcoming.changed').data).toEqual({ upcoming: null, reason: 'APPLIED' });
    expect(eventOf(events, 'user.status.changed').data).toMatchObject({
      from: 'active',
      to: 'lunch',
      cause: 'deferred',
    });
  });

  it('schedules the overage timer of a deferred status', () => {
    const { timers } = run(waitingForLunch(), cmd.end('c1'), 30);
    expect(timers.map((t) => t.key)).toEqual([`overage:${USER}`]);
  });

  it('keeps the upcoming status while another activity is still open', () => {
    const state = after([[cmd.begin('t2', 'task'), 21]], undefined, waitingForLunch());
    const { next } = run(state, cmd.end('c1'), 30);
    expect(next.status.id).toBe('active');
    expect(next.upcoming?.id).toBe('lunch');
    expect(run(next, cmd.end('t2'), 40).next.status.id).toBe('lunch');
  });

  it('drops the upcoming status when its limit is reached by the time it would apply', () => {
    const catalog = catalogOf(statusType('lunch', { limitPerShift: 0 }));
    const { next, events } = run(waitingForLunch(), cmd.end('c1'), 30, { catalog });
    expect(next.status.id).toBe('active');
    expect(next.upcoming).toBeNull();
    expect(eventOf(events, 'user.upcoming.changed').data).toEqual({
      upcoming: null,
      reason: 'STATUS_LIMIT_REACHED',
    });
    expect(types(events)).not.toContain('user.status.changed');
  });

  it('drops the upcoming status when its type was deleted meanwhile', () => {
    const catalog = new Map([...CATALOG].filter(([id]) => id !== 'lunch'));
    const { next, events } = run(waitingForLunch(), cmd.end('c1'), 30, { catalog });
    expect(next.upcoming).toBeNull();
    expect(eventOf(events, 'user.upcoming.changed').data).toEqual({
      upcoming: null,
      reason: 'STATUS_TYPE_NOT_FOUND',
    });
  });

  it('drops the upcoming status when a shift has become required and there is none', () => {
    const state = after([
      [cmd.begin('c1'), 10],
      [cmd.select('active'), 20],
    ]);
    expect(state.shift).toBeNull();
    const { next, events } = run(state, cmd.end('c1'), 30, { config: { requireShift: true } });
    expect(next.status.id).toBe('offline');
    expect(eventOf(events, 'user.upcoming.changed').data).toEqual({ upcoming: null, reason: 'NO_SHIFT' });
  });

  it(`keeps at most ${TOMBSTONE_LIMIT} tombstones, dropping the oldest`, () => {
    const steps: Array<[Command, number]> = [];
    for (let i = 0; i <= TOMBSTONE_LIMIT; i++)
      steps.push([cmd.begin(`t${i}`, 'task'), i], [cmd.end(`t${i}`), i]);
    const state = after(steps);
    expect(state.endedActivities).toHaveLength(TOMBSTONE_LIMIT);
    expect(state.endedActivities[0]?.id).toBe('t1');
    expectNoop(state, cmd.begin('t1', 'task'), 100);
    expect(run(state, cmd.begin('t0', 'task'), 100).changed).toBe(true);
  });

  it('forgets tombstones older than an hour', () => {
    const state = after([
      [cmd.begin('t1', 'task'), 0],
      [cmd.end('t1'), 0],
      [cmd.begin('t2', 'task'), 3599],
    ]);
    expect(run(state, cmd.end('t2'), 3599).next.endedActivities.map((t) => t.id)).toEqual(['t1', 't2']);
    expect(run(state, cmd.end('t2'), 3600).next.endedActivities.map((t) => t.id)).toEqual(['t2']);
  });
});
