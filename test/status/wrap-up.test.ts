import { describe, expect, it } from 'vitest';
import type { Env } from './fixtures.js';
import { DIRECTORY, USER, after, at, cmd, eventOf, expectNoop, refuse, run, types } from './fixtures.js';

const env: Env = { config: { wrapUpSeconds: 30 } };
/** Active, on call c1 from t=10. */
const onCall = () =>
  after(
    [
      [cmd.select('active'), 0],
      [cmd.begin('c1'), 10],
    ],
    env,
  );
/** On call c1 from t=10 with lunch upcoming, call ended at t=40: in wrap-up until t=70. */
const inWrapUp = () =>
  after(
    [
      [cmd.select('lunch'), 20],
      [cmd.end('c1'), 40],
    ],
    env,
    onCall(),
  );
const withWrapUpOverride = (wrapUpSeconds: number | null) =>
  after([[cmd.directory({ ...DIRECTORY, wrapUpSeconds }), 15]], env, onCall());

describe('wrap-up after a call', () => {
  it('starts when a call ends, with a wrapup timer', () => {
    const { next, events, timers } = run(onCall(), cmd.end('c1'), 40, env);
    const wrapUp = { activityId: 'c1', since: at(40), until: at(70) };
    expect(next.wrapUp).toEqual(wrapUp);
    expect(timers).toEqual([
      {
        key: `wrapup:${USER}`,
        dueAt: at(70),
        command: { type: 'wrapUpElapsed', activityId: 'c1', until: at(70) },
      },
    ]);
    expect(eventOf(events, 'user.activity.ended').data.wrapUp).toEqual(wrapUp);
  });

  it("uses the user's own wrap-up seconds over the global default", () => {
    expect(run(withWrapUpOverride(10), cmd.end('c1'), 40, env).next.wrapUp?.until).toBe(at(50));
  });

  it("has none when the user's own wrap-up seconds are 0", () => {
    const { next, timers } = run(withWrapUpOverride(0), cmd.end('c1'), 40, env);
    expect(next.wrapUp).toBeNull();
    expect(timers).toEqual([]);
  });

  it('has none when the global default is 0 and the user has no override', () => {
    expect(run(onCall(), cmd.end('c1'), 40, { config: { wrapUpSeconds: 0 } }).next.wrapUp).toBeNull();
  });

  it('has none after an activity that is not a call', () => {
    const state = after([[cmd.begin('t1', 'task'), 20]], env, onCall());
    expect(run(state, cmd.end('t1'), 40, env).next.wrapUp).toBeNull();
  });

  it('holds back the upcoming status until it is over', () => {
    const state = inWrapUp();
    expect(state.status.id).toBe('active');
    expect(state.upcoming?.id).toBe('lunch');
  });
});

describe('a wrap-up whose time is up before its timer ran', () => {
  it('is finished by the next command, which applies the upcoming status first', () => {
    const { next, events } = run(inWrapUp(), cmd.heartbeat(), 75, env);
    expect(next.wrapUp).toBeNull();
    expect(next.status).toMatchObject({ id: 'lunch', since: at(75), cause: 'deferred' });
    expect(types(events)).toContain('user.status.changed');
    // The wrap-up ended when its time ran out, not when the late command came.
    expect(eventOf(events, 'user.wrap-up.ended').data).toMatchObject({
      activityId: 'c1',
      from: at(40),
      to: at(70),
    });
  });

  it('makes an otherwise idempotent command a change (the wrap-up ended)', () => {
    const { next } = run(inWrapUp(), cmd.end('unknown'), 70, env);
    expect(next.status.id).toBe('lunch');
  });

  it('is still present for endWrapUp and for the late timer, which finish it themselves', () => {
    expect(run(inWrapUp(), cmd.endWrapUp(), 80, env).next.status.cause).toBe('deferred');
    expect(run(inWrapUp(), cmd.wrapUpElapsed('c1'), 80, env).next.status.cause).toBe('deferred');
  });
});

describe('wrapUpElapsed (timer)', () => {
  it('ends the wrap-up and applies the upcoming status with cause deferred', () => {
    const { next, events } = run(inWrapUp(), cmd.wrapUpElapsed('c1'), 70, env);
    expect(next.wrapUp).toBeNull();
    expect(next.status).toMatchObject({ id: 'lunch', since: at(70), cause: 'deferred' });
    expect(types(events)).toEqual(['user.wrap-up.ended', 'user.upcoming.changed', 'user.status.changed']);
  });

  it('ends the wrap-up without a status change when nothing is upcoming; the event lets the PBX unpause', () => {
    const state = after([[cmd.end('c1'), 40]], env, onCall());
    const { next, events } = run(state, cmd.wrapUpElapsed('c1'), 70, env);
    expect(next.wrapUp).toBeNull();
    expect(next.version).toBe(state.version + 1);
    expect(types(events)).toEqual(['user.wrap-up.ended']);
    expect(events[0]?.data).toEqual({
      wrapUp: { activityId: 'c1', since: at(40), until: at(70) },
      reason: 'elapsed',
      activityId: 'c1',
      from: at(40),
      to: at(70),
    });
  });

  it('is stale (no-op) when it carries an end the wrap-up no longer has (extended since)', () => {
    const state = after([[cmd.end('c1'), 40]], env, onCall());
    expectNoop(state, cmd.wrapUpElapsed('c1', at(65)), 65, env);
  });

  it('without an end (scheduled by an earlier version) still ends the wrap-up of its call', () => {
    const state = after([[cmd.end('c1'), 40]], env, onCall());
    expect(run(state, { type: 'wrapUpElapsed', activityId: 'c1' }, 70, env).next.wrapUp).toBeNull();
  });

  it('is stale (no-op) without a wrap-up', () => {
    expectNoop(onCall(), cmd.wrapUpElapsed('c1'), 70, env);
  });

  it('is stale (no-op) for a wrap-up replaced by a later call', () => {
    const state = after(
      [
        [cmd.begin('c2'), 50],
        [cmd.end('c2'), 60],
      ],
      env,
      inWrapUp(),
    );
    expect(state.wrapUp?.activityId).toBe('c2');
    expectNoop(state, cmd.wrapUpElapsed('c1'), 70, env);
    // The replaced wrap-up is recorded as ended when the later call's began (its time was not up yet).
    const replaced = run(after([[cmd.begin('c2'), 50]], env, inWrapUp()), cmd.end('c2'), 60, env);
    expect(eventOf(replaced.events, 'user.wrap-up.ended').data).toMatchObject({
      activityId: 'c1',
      from: at(40),
      to: at(60),
    });
  });

  it('keeps the upcoming status while another activity is open', () => {
    const state = after([[cmd.begin('t2', 'task'), 50]], env, inWrapUp());
    const { next } = run(state, cmd.wrapUpElapsed('c1'), 70, env);
    expect(next.wrapUp).toBeNull();
    expect(next.upcoming?.id).toBe('lunch');
  });
});

describe('endWrapUp (API)', () => {
  it('refuses with 409 NOT_IN_WRAP_UP when there is no wrap-up', () => {
    expect(refuse(onCall(), cmd.endWrapUp(), 50, env)).toMatchObject({
      code: 'NOT_IN_WRAP_UP',
      statusCode: 409,
    });
  });

  it('ends the wrap-up early and applies the upcoming status', () => {
    const { next } = run(inWrapUp(), cmd.endWrapUp(), 45, env);
    expect(next.wrapUp).toBeNull();
    expect(next.status).toMatchObject({ id: 'lunch', since: at(45), cause: 'deferred' });
    expect(run(inWrapUp(), cmd.endWrapUp(), 45, env).events[0]?.data).toMatchObject({
      activityId: 'c1',
      from: at(40),
      to: at(45),
    });
  });

  it('clears a wrap-up whose time passed before its timer fired', () => {
    const { next } = run(inWrapUp(), cmd.endWrapUp(), 80, env);
    expect(next.wrapUp).toBeNull();
  });
});

describe('extendWrapUp (API)', () => {
  const max = (wrapUpMaxSeconds: number): Env => ({ config: { wrapUpSeconds: 30, wrapUpMaxSeconds } });

  it('moves the end and reschedules the timer; the earlier timer is then stale', () => {
    const { next, events, timers } = run(inWrapUp(), cmd.extendWrapUp(60), 50, max(600));
    expect(next.wrapUp).toEqual({ activityId: 'c1', since: at(40), until: at(130) });
    expect(timers).toEqual([
      {
        key: `wrapup:${USER}`,
        dueAt: at(130),
        command: { type: 'wrapUpElapsed', activityId: 'c1', until: at(130) },
      },
    ]);
    expect(eventOf(events, 'user.wrap-up.extended').data).toEqual({ wrapUp: next.wrapUp, seconds: 60 });
    expectNoop(next, cmd.wrapUpElapsed('c1', at(70)), 70, max(600));
    expect(next.upcoming?.id).toBe('lunch'); // still waiting for the (longer) wrap-up
    expect(run(next, cmd.wrapUpElapsed('c1', at(130)), 130, max(600)).next.status.id).toBe('lunch');
  });

  it('may reach the maximum counted from the call end, not beyond', () => {
    expect(run(inWrapUp(), cmd.extendWrapUp(90), 50, max(120)).next.wrapUp?.until).toBe(at(160));
    expect(refuse(inWrapUp(), cmd.extendWrapUp(91), 50, max(120))).toMatchObject({
      code: 'WRAP_UP_LIMIT_REACHED',
      statusCode: 409,
      details: { maxSeconds: 120, remainingSeconds: 90 },
    });
  });

  it('is off with a maximum of 0, and refused for a wrap-up already as long as the maximum', () => {
    expect(refuse(inWrapUp(), cmd.extendWrapUp(1), 50, max(0)).code).toBe('WRAP_UP_LIMIT_REACHED');
    expect(refuse(inWrapUp(), cmd.extendWrapUp(1), 50, max(30)).details).toEqual({
      maxSeconds: 30,
      remainingSeconds: 0,
    });
  });

  it('refuses with 409 NOT_IN_WRAP_UP without a wrap-up, or when its time is already up', () => {
    expect(refuse(onCall(), cmd.extendWrapUp(30), 50, max(600)).code).toBe('NOT_IN_WRAP_UP');
    expect(refuse(inWrapUp(), cmd.extendWrapUp(30), 75, max(600)).code).toBe('NOT_IN_WRAP_UP');
  });

  it('changes nothing for a non-positive number of seconds', () => {
    expectNoop(inWrapUp(), cmd.extendWrapUp(0), 50, max(600));
  });
});
