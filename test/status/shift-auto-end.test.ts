/** A shift ends even when nobody ends it (issue #12, point 1). T0 is 2024-05-01 08:00 UTC. */
import { describe, expect, it } from 'vitest';
import type { Env } from './fixtures.js';
import {
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

const HOUR = 3600;
const rules = (
  shift: Partial<{
    endAfterOfflineMinutes: number | null;
    maxHours: number | null;
    dayBoundary: string | null;
  }>,
  timezone = 'UTC',
): Env => ({
  config: { shift: { endAfterOfflineMinutes: null, maxHours: null, dayBoundary: null, ...shift }, timezone },
});
const offline60 = rules({ endAfterOfflineMinutes: 60 });
/** Limit 1 per shift on lunch, as in the example. */
const lunchOnce = catalogOf(statusType('lunch', { limitPerShift: 1 }));

describe('offline for endAfterOfflineMinutes', () => {
  const wentOffline = () =>
    after(
      [
        [cmd.select('active'), 0],
        [cmd.select('offline'), HOUR],
      ],
      offline60,
    );

  it('schedules the offline timer when Offline is entered during a shift', () => {
    const state = after([[cmd.select('active'), 0]], offline60);
    const { timers } = run(state, cmd.select('offline'), HOUR, offline60);
    expect(timers).toContainEqual({
      key: `offline:${USER}`,
      dueAt: at(2 * HOUR),
      command: { type: 'shiftAutoEnd', shiftId: state.shift!.id },
    });
  });

  it('ends the shift when the timer fires; the Offline span keeps its cause', () => {
    const state = wentOffline();
    const { next, events } = run(state, cmd.shiftAutoEnd(state.shift!.id), 2 * HOUR, offline60);
    expect(next.shift).toBeNull();
    expect(next.status).toMatchObject({ id: 'offline', cause: 'user', since: at(HOUR) });
    expect(types(events)).toEqual(['user.shift.ended']);
    expect(eventOf(events, 'user.shift.ended').data).toMatchObject({
      shift: state.shift,
      cause: 'shift-auto-end',
      trigger: 'offline',
    });
  });

  it('is a no-op when fired early, after the user came back, or for another shift', () => {
    const state = wentOffline();
    const shiftId = state.shift!.id;
    // Early (another daemon's clock is ahead): nothing ends, the timer is set again for its moment.
    const early = run(state, cmd.shiftAutoEnd(shiftId), 2 * HOUR - 1, offline60);
    expect(early.next.shift).not.toBeNull();
    expect(early.events).toEqual([]);
    expect(early.timers).toEqual([
      {
        key: `offline:${USER}`,
        dueAt: at(2 * HOUR),
        command: { ...cmd.shiftAutoEnd(shiftId), rescheduledAt: at(2 * HOUR - 1) },
      },
    ]);
    const back = after([[cmd.select('active'), HOUR + 600]], offline60, state);
    expectNoop(back, cmd.shiftAutoEnd(shiftId), 2 * HOUR, offline60);
    expectNoop(state, cmd.shiftAutoEnd('u-1001@someday'), 2 * HOUR - 1, offline60);
  });

  it('counts a connection lost in a type that does not keep its status (Offline is applied then)', () => {
    const state = after(
      [
        [cmd.select('active'), 0],
        [cmd.heartbeat(), 10],
      ],
      offline60,
    );
    const lost = run(state, cmd.timeout(at(10)), 100, offline60);
    expect(lost.next.status).toMatchObject({ id: 'offline', cause: 'connection-lost' });
    expect(lost.timers).toContainEqual(
      expect.objectContaining({ key: `offline:${USER}`, dueAt: at(100 + HOUR) }),
    );
    expect(run(lost.next, cmd.shiftAutoEnd(state.shift!.id), 100 + HOUR, offline60).next.shift).toBeNull();
  });

  it('does not count a lost connection in a type that keeps its status (e.g. On Break)', () => {
    const state = after(
      [
        [cmd.select('on-break'), 0],
        [cmd.heartbeat(), 10],
        [cmd.timeout(at(10)), 100],
      ],
      offline60,
    );
    expect(state.connection.state).toBe('lost');
    expectNoop(state, cmd.shiftAutoEnd(state.shift!.id), 100 + 2 * HOUR, offline60);
  });

  it('does not end a shift whose first status waits for a call to end', () => {
    const state = after(
      [
        [cmd.begin('c1'), 0],
        [cmd.startShift('active'), 10],
      ],
      offline60,
    );
    expect(state.upcoming?.id).toBe('active');
    const { next } = run(state, cmd.end('c1'), 2 * HOUR, offline60);
    expect(next.shift).not.toBeNull();
    expect(next.status).toMatchObject({ id: 'active', cause: 'deferred' });
  });
});

describe('maxHours and dayBoundary', () => {
  it('ends the shift at maxHours, applying Offline with cause shift-auto-end', () => {
    const env = rules({ maxHours: 10 });
    const state = run(after([]), cmd.select('active'), 0, env);
    expect(state.timers).toContainEqual({
      key: `shift:${USER}`,
      dueAt: at(10 * HOUR),
      command: { type: 'shiftAutoEnd', shiftId: state.next.shift!.id },
    });
    const { next, events } = run(state.next, cmd.shiftAutoEnd(state.next.shift!.id), 10 * HOUR, env);
    expect(next.status).toMatchObject({ id: 'offline', cause: 'shift-auto-end', since: at(10 * HOUR) });
    expect(next.shift).toBeNull();
    expect(eventOf(events, 'user.shift.ended').data).toMatchObject({ trigger: 'max-hours' });
    expect(eventOf(events, 'user.status.changed').data.span).toMatchObject({
      statusId: 'active',
      seconds: 36_000,
    });
  });

  it('ends the shift at the daily cut-off in the configured zone, whichever comes first', () => {
    // 08:00 UTC start; cut-off 04:00 Berlin (02:00 UTC) the next day = 18 h; maxHours 20 comes later.
    const env = rules({ maxHours: 20, dayBoundary: '04:00' }, 'Europe/Berlin');
    const state = run(after([]), cmd.select('active'), 0, env);
    expect(state.timers.find((t) => t.key === `shift:${USER}`)?.dueAt).toBe('2024-05-02T02:00:00.000Z');
    const { events } = run(state.next, cmd.shiftAutoEnd(state.next.shift!.id), 18 * HOUR, env);
    expect(eventOf(events, 'user.shift.ended').data).toMatchObject({ trigger: 'day-boundary' });
  });

  it('waits while engaged, then ends the shift when the work ends (dropping what was upcoming)', () => {
    const env = rules({ maxHours: 1 });
    const state = after(
      [
        [cmd.select('active'), 0],
        [cmd.begin('c1'), 1800],
        [cmd.select('lunch'), 1900],
      ],
      env,
    );
    expectNoop(state, cmd.shiftAutoEnd(state.shift!.id), HOUR, env);
    const { next } = run(state, cmd.end('c1'), HOUR + 300, env);
    expect(next.shift).toBeNull();
    expect(next.status).toMatchObject({ id: 'offline', cause: 'shift-auto-end' });
    expect(next.lastUpcoming).toMatchObject({ id: 'lunch', outcome: 'cancelled', reason: 'SUPERSEDED' });
  });
});

describe('usage starts fresh with the next shift', () => {
  const env: Env = { ...rules({ dayBoundary: '04:00' }), catalog: lunchOnce };
  const mondayLunch = () =>
    after(
      [
        [cmd.select('active'), 0],
        [cmd.select('lunch'), 4 * HOUR],
        [cmd.select('active'), 5 * HOUR],
        [cmd.select('offline'), 9 * HOUR],
      ],
      env,
    );

  it('Lunch (limit 1) taken on Monday can be taken on Tuesday after the cut-off ended the shift', () => {
    const monday = mondayLunch();
    expect(refuse(monday, cmd.select('lunch'), 9 * HOUR + 60, env).code).toBe('STATUS_LIMIT_REACHED');
    const cutOff = run(monday, cmd.shiftAutoEnd(monday.shift!.id), 20 * HOUR, env).next;
    const tuesday = after(
      [
        [cmd.select('active'), 24 * HOUR],
        [cmd.select('lunch'), 28 * HOUR],
      ],
      env,
      cutOff,
    );
    expect(tuesday.status.id).toBe('lunch');
    expect(tuesday.shift?.usage).toEqual({ active: 1, lunch: 1 });
  });

  it('even when the cut-off timer never ran: the next command ends the due shift first', () => {
    const { next, events } = run(mondayLunch(), cmd.select('active'), 24 * HOUR, env);
    expect(types(events)).toEqual(['user.shift.ended', 'user.shift.started', 'user.status.changed']);
    expect(next.shift?.startedAt).toBe(at(24 * HOUR));
    expect(run(next, cmd.select('lunch'), 28 * HOUR, env).next.status.id).toBe('lunch');
  });

  it('ending a shift that was already due answers with the ended shift, not NO_SHIFT', () => {
    const { next, events } = run(mondayLunch(), cmd.endShift(), 24 * HOUR, env);
    expect(next.shift).toBeNull();
    expect(eventOf(events, 'user.shift.ended').data).toMatchObject({ cause: 'shift-auto-end' });
  });
});
