import { describe, expect, it } from 'vitest';
import type { Cause } from '../../src/status/model.js';
import {
  ACTORS,
  CATALOG,
  T0,
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
  type Who,
} from './fixtures.js';

const activeAt0 = () => after([[cmd.select('active'), 0]]);
/** Active, then on a call from t=10. */
const onCall = () => after([[cmd.begin('c1'), 10]], undefined, activeAt0());

describe('selectStatus: refusals', () => {
  it('refuses an unknown status type with 404 STATUS_TYPE_NOT_FOUND', () => {
    const error = refuse(activeAt0(), cmd.select('ghost'), 5);
    expect(error).toMatchObject({
      code: 'STATUS_TYPE_NOT_FOUND',
      statusCode: 404,
      details: { statusId: 'ghost' },
    });
  });

  it('refuses a status whose per-shift limit is used up with 409 {limit, used}', () => {
    const ids = ['lunch', 'active', 'lunch', 'active'];
    const state = after(ids.map((id, i) => [cmd.select(id), i * 10]));
    const error = refuse(state, cmd.select('lunch'), 50);
    expect(error).toMatchObject({
      code: 'STATUS_LIMIT_REACHED',
      statusCode: 409,
      details: { limit: 2, used: 2 },
    });
  });

  it('counts a limit of 0 as reached even before any shift exists', () => {
    const catalog = catalogOf(statusType('never', { limitPerShift: 0 }));
    const error = refuse(after([]), cmd.select('never'), 5, { catalog });
    expect(error.details).toEqual({ limit: 0, used: 0 });
  });

  it('checks the limit also when the selection would only become upcoming', () => {
    const state = after([
      [cmd.select('training'), 20],
      [cmd.select('active'), 30],
      [cmd.begin('c1'), 40],
    ]);
    expect(refuse(state, cmd.select('training'), 50).code).toBe('STATUS_LIMIT_REACHED');
  });

  it('refuses a status other than Offline without a shift when a shift is required (NO_SHIFT)', () => {
    const env = { config: { requireShift: true } };
    expect(refuse(after([]), cmd.select('active'), 5, env)).toMatchObject({
      code: 'NO_SHIFT',
      statusCode: 409,
    });
    const engaged = after([[cmd.begin('c1'), 1]], env);
    expect(refuse(engaged, cmd.select('idle'), 5, env).code).toBe('NO_SHIFT');
  });

  it('allows any status once the required shift is started', () => {
    const env = { config: { requireShift: true } };
    const state = after([[cmd.startShift('active'), 1]], env);
    expect(run(state, cmd.select('idle'), 5, env).next.status.id).toBe('idle');
  });
});

describe('selectStatus: the current status', () => {
  it('only clears the upcoming status', () => {
    const state = after([[cmd.select('on-break'), 20]], undefined, onCall());
    const { next, events } = run(state, cmd.select('active'), 30);
    expect(next.upcoming).toBeNull();
    expect(next.status).toEqual(state.status);
    expect(events).toEqual([
      {
        type: 'user.upcoming.changed',
        userId: USER,
        at: at(30),
        actor: ACTORS.user,
        data: { upcoming: null, reason: 'CANCELLED' },
      },
    ]);
    expect(next.lastUpcoming).toEqual({
      id: 'on-break',
      outcome: 'cancelled',
      reason: 'CANCELLED',
      at: at(30),
    });
  });

  it('is a no-op when there is no upcoming status', () => {
    expectNoop(activeAt0(), cmd.select('active'), 30);
  });

  it('is not refused by a used-up limit (staying is not entering again)', () => {
    const state = after([
      [cmd.select('training'), 1],
      [cmd.begin('c1'), 2],
      [cmd.select('active'), 3],
    ]);
    expect(run(state, cmd.select('training'), 4).next.upcoming).toBeNull();
  });
});

describe('selectStatus while engaged', () => {
  it('makes the status upcoming and leaves the current one untouched', () => {
    const state = onCall();
    const { next, events } = run(state, cmd.select('lunch', 'supervisor'), 20);
    expect(next.status).toEqual(state.status);
    expect(next.shift).toEqual(state.shift);
    const upcoming = { id: 'lunch', selectedAt: at(20), cause: 'supervisor', actor: ACTORS.supervisor };
    expect(next.upcoming).toEqual(upcoming);
    expect(events).toEqual([
      {
        type: 'user.upcoming.changed',
        userId: USER,
        at: at(20),
        actor: ACTORS.supervisor,
        data: { upcoming, reason: 'SET' },
      },
    ]);
  });

  it('replaces an earlier upcoming status', () => {
    const state = after([[cmd.select('lunch'), 20]], undefined, onCall());
    expect(run(state, cmd.select('idle'), 30).next.upcoming).toEqual({
      id: 'idle',
      selectedAt: at(30),
      cause: 'user',
      actor: ACTORS.user,
    });
  });

  it('is a no-op when the same status is selected again by the same kind of actor', () => {
    const state = after([[cmd.select('lunch'), 20]], undefined, onCall());
    expectNoop(state, cmd.select('lunch'), 30);
    expect(run(state, cmd.select('lunch', 'pbx'), 30).next.upcoming?.cause).toBe('pbx');
  });

  it('is still engaged during wrap-up, but not once the wrap-up time has passed', () => {
    const env = { config: { wrapUpSeconds: 30 } };
    const state = after([[cmd.end('c1'), 20]], env, onCall());
    expect(run(state, cmd.select('idle'), 49, env).next.status.id).toBe('active');
    expect(run(state, cmd.select('idle'), 50, env).next.status.id).toBe('idle');
  });
});

describe('selectStatus applies the status when not engaged', () => {
  it('sets status, since and cause, and counts the entry in the shift', () => {
    const { next } = run(activeAt0(), cmd.select('lunch'), 60);
    expect(next.status).toEqual({
      id: 'lunch',
      since: at(60),
      cause: 'user',
      actor: ACTORS.user,
      requestedBy: null,
      reason: null,
    });
    expect(next.shift?.usage).toEqual({ active: 1, lunch: 1 });
    expect(next.version).toBe(2);
  });

  it('schedules the overage timer when the type has allowedMinutes', () => {
    const { timers } = run(activeAt0(), cmd.select('on-break'), 60);
    expect(timers).toEqual([
      {
        key: `overage:${USER}`,
        dueAt: at(60 + 15 * 60),
        command: { type: 'overageDue', statusId: 'on-break', since: at(60) },
      },
    ]);
  });

  it('schedules no timer for a type without allowedMinutes', () => {
    expect(run(activeAt0(), cmd.select('idle'), 60).timers).toEqual([]);
  });

  it('clears a running overage', () => {
    const state = after([
      [cmd.select('on-break'), 0],
      [cmd.overageDue('on-break', at(0)), 900],
    ]);
    expect(state.overage).not.toBeNull();
    expect(run(state, cmd.select('active'), 1000).next.overage).toBeNull();
  });

  it.each<[Who, Cause]>([
    ['user', 'user'],
    ['supervisor', 'supervisor'],
    ['admin', 'supervisor'],
    // An integration acts for the agent (e.g. a desktop app): never recorded as a supervisor.
    ['integration', 'user'],
    ['pbx', 'pbx'],
  ])('takes the cause from the actor: %s → %s, and records the actor', (who, cause) => {
    const { next, events } = run(activeAt0(), cmd.select('idle', who), 60);
    expect(next.status).toMatchObject({ cause, actor: ACTORS[who], requestedBy: null, reason: null });
    const changed = eventOf(events, 'user.status.changed');
    expect(changed.data.cause).toBe(cause);
    expect(changed.actor).toEqual(ACTORS[who]);
  });
});

describe('selectStatus and the shift', () => {
  it('starts a shift implicitly with the first status other than Offline', () => {
    const { next, events } = run(after([]), cmd.select('active'), 5);
    const shift = { id: `${USER}@${at(5)}`, startedAt: at(5), usage: { active: 1 } };
    expect(next.shift).toEqual(shift);
    expect(types(events)).toEqual(['user.shift.started', 'user.status.changed']);
    expect(eventOf(events, 'user.shift.started').data).toEqual({ shift });
  });

  it('does not end the shift when Offline is selected, and counts it', () => {
    const { next, events } = run(activeAt0(), cmd.select('offline'), 60);
    expect(next.shift?.usage).toEqual({ active: 1, offline: 1 });
    expect(types(events)).toEqual(['user.status.changed']);
  });

  it('counts every entry per shift', () => {
    const state = after(
      [
        [cmd.select('idle'), 10],
        [cmd.select('active'), 20],
      ],
      undefined,
      activeAt0(),
    );
    expect(state.shift?.usage).toEqual({ active: 2, idle: 1 });
  });
});

describe('selectStatus closes the history span', () => {
  it('emits user.status.changed with from, to, cause and the closed span', () => {
    const state = after([[cmd.select('idle', 'supervisor'), 100]], undefined, activeAt0());
    const { events } = run(state, cmd.select('active'), 250);
    expect(events).toEqual([
      {
        type: 'user.status.changed',
        userId: USER,
        at: at(250),
        actor: ACTORS.user,
        data: {
          from: 'idle',
          to: 'active',
          cause: 'user',
          // the span keeps the cause its status was entered with
          span: {
            statusId: 'idle',
            name: 'Idle',
            from: at(100),
            to: at(250),
            seconds: 150,
            overageSeconds: 0,
            cause: 'supervisor',
            actor: ACTORS.supervisor,
            requestedBy: null,
            reason: null,
          },
        },
      },
    ]);
  });

  it('records the overage seconds of the closed span', () => {
    const state = after([
      [cmd.select('on-break'), 0],
      [cmd.overageDue('on-break', at(0)), 900],
    ]);
    const span = eventOf(run(state, cmd.select('active'), 960).events, 'user.status.changed').data.span;
    expect(span).toMatchObject({ seconds: 960, overageSeconds: 60 });
  });

  it('falls back to the status id for the name of a type deleted meanwhile', () => {
    const state = after([[cmd.select('lunch'), 0]]);
    const catalog = new Map([...CATALOG].filter(([id]) => id !== 'lunch'));
    const span = eventOf(run(state, cmd.select('active'), 10, { catalog }).events, 'user.status.changed').data
      .span;
    expect(span).toMatchObject({ statusId: 'lunch', name: 'lunch' });
  });

  it('starts the new status where the span ends, so spans tile time', () => {
    const first = run(after([]), cmd.select('active'), 10);
    const second = run(first.next, cmd.select('idle'), 25);
    const spanOf = (r: typeof first) =>
      eventOf(r.events, 'user.status.changed').data.span as { from: string; to: string };
    expect(spanOf(first)).toMatchObject({ from: T0, to: at(10) });
    expect(spanOf(second)).toMatchObject({ from: at(10), to: at(25) });
    expect(second.next.status.since).toBe(at(25));
  });

  it('never closes a span with negative seconds when the clock steps back', () => {
    const { next, events } = run(after([[cmd.select('active'), 100]]), cmd.select('idle'), 50);
    expect(eventOf(events, 'user.status.changed').data.span).toMatchObject({
      from: at(100),
      to: at(100),
      seconds: 0,
    });
    expect(next.status.since).toBe(at(100));
  });
});
