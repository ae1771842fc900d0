import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/status/model.js';
import {
  ACTORS,
  CATALOG,
  USER,
  after,
  at,
  catalogOf,
  cmd,
  eventOf,
  refuse,
  run,
  statusType,
  types,
} from './fixtures.js';

const inShift = (statusId = 'active') => after([[cmd.startShift(statusId), 0]]);

describe('startShift', () => {
  it('opens a shift and enters the status with cause shift-start', () => {
    const { next, events } = run(after([]), cmd.startShift('active'), 5);
    const shift = { id: `${USER}@${at(5)}`, startedAt: at(5), usage: { active: 1 } };
    expect(next.shift).toEqual(shift);
    expect(next.status).toMatchObject({
      id: 'active',
      since: at(5),
      cause: 'shift-start',
      actor: ACTORS.user,
    });
    expect(types(events)).toEqual(['user.shift.started', 'user.status.changed']);
    expect(eventOf(events, 'user.shift.started').data).toEqual({ shift });
  });

  it('refuses with 409 SHIFT_ALREADY_STARTED when a shift is running', () => {
    const state = inShift();
    const error = refuse(state, cmd.startShift('idle'), 10);
    expect(error).toMatchObject({
      code: 'SHIFT_ALREADY_STARTED',
      statusCode: 409,
      details: { shiftId: state.shift?.id },
    });
  });

  it('refuses an unknown status', () => {
    expect(refuse(after([]), cmd.startShift('ghost'), 10).code).toBe('STATUS_TYPE_NOT_FOUND');
  });

  it('refuses a status with a limit of 0', () => {
    const catalog = catalogOf(statusType('never', { limitPerShift: 0 }));
    expect(refuse(after([]), cmd.startShift('never'), 10, { catalog }).code).toBe('STATUS_LIMIT_REACHED');
  });

  it('makes the status upcoming while engaged, and applies it when the activity ends', () => {
    const state = after([[cmd.begin('c1'), 1]]);
    const { next, events } = run(state, cmd.startShift('active'), 5);
    expect(next.shift).toEqual({ id: `${USER}@${at(5)}`, startedAt: at(5), usage: {} });
    expect(next.status.id).toBe('offline');
    expect(next.upcoming).toEqual({
      id: 'active',
      selectedAt: at(5),
      cause: 'shift-start',
      actor: ACTORS.user,
    });
    expect(types(events)).toEqual(['user.shift.started', 'user.upcoming.changed']);
    const ended = run(next, cmd.end('c1'), 9).next;
    expect(ended.status).toMatchObject({
      id: 'active',
      since: at(9),
      cause: 'deferred',
      requestedBy: { actor: ACTORS.user, cause: 'shift-start', at: at(5) },
    });
    expect(ended.shift?.usage).toEqual({ active: 1 });
  });

  it('only opens the shift when the status is already the current one', () => {
    const { next, events } = run(after([]), cmd.startShift('offline'), 5);
    expect(next.shift).not.toBeNull();
    expect(next.status).toEqual(after([]).status);
    expect(types(events)).toEqual(['user.shift.started']);
  });

  it('starts usage counts from zero in every shift', () => {
    const state = after([
      [cmd.select('training'), 10],
      [cmd.select('active'), 20],
      [cmd.endShift(), 30],
      [cmd.startShift('active'), 40],
    ]);
    expect(state.shift?.usage).toEqual({ active: 1 });
    expect(run(state, cmd.select('training'), 50).next.status.id).toBe('training');
  });
});

describe('endShift', () => {
  it('refuses with 409 NO_SHIFT without a shift', () => {
    expect(refuse(after([]), cmd.endShift(), 5)).toMatchObject({ code: 'NO_SHIFT', statusCode: 409 });
  });

  it('refuses with 409 USER_ENGAGED during an activity', () => {
    const state = after([[cmd.begin('t1', 'task'), 5]], undefined, inShift());
    expect(refuse(state, cmd.endShift(), 10)).toMatchObject({ code: 'USER_ENGAGED', statusCode: 409 });
  });

  it('refuses with USER_ENGAGED during wrap-up', () => {
    const env = { config: { wrapUpSeconds: 30 } };
    const state = after(
      [
        [cmd.begin('c1'), 5],
        [cmd.end('c1'), 10],
      ],
      env,
      inShift(),
    );
    expect(refuse(state, cmd.endShift(), 20, env).code).toBe('USER_ENGAGED');
  });

  it('refuses with 409 CANNOT_END_SHIFT from a type without canEndShift', () => {
    const error = refuse(inShift('on-break'), cmd.endShift(), 10);
    expect(error).toMatchObject({
      code: 'CANNOT_END_SHIFT',
      statusCode: 409,
      details: { statusId: 'on-break' },
    });
  });

  it('applies Offline with cause shift-end and closes the shift', () => {
    const state = after([[cmd.select('idle'), 10]], undefined, inShift());
    const { next, events } = run(state, cmd.endShift(), 30);
    expect(next.shift).toBeNull();
    expect(next.status).toMatchObject({
      id: 'offline',
      since: at(30),
      cause: 'shift-end',
      actor: ACTORS.user,
    });
    expect(types(events)).toEqual(['user.status.changed', 'user.shift.ended']);
    expect(eventOf(events, 'user.status.changed').data).toMatchObject({
      from: 'idle',
      to: 'offline',
      cause: 'shift-end',
    });
    expect(eventOf(events, 'user.shift.ended').data).toEqual({ shift: state.shift, cause: 'shift-end' });
  });

  it('keeps an Offline status chosen during the shift as it is', () => {
    const state = after([[cmd.select('offline'), 10]], undefined, inShift());
    const { next, events } = run(state, cmd.endShift(), 30);
    expect(next.status).toEqual(state.status);
    expect(next.shift).toBeNull();
    expect(types(events)).toEqual(['user.shift.ended']);
  });

  it('may end from a status whose type was deleted', () => {
    const state = after([[cmd.select('lunch'), 10]], undefined, inShift());
    const catalog = new Map([...CATALOG].filter(([id]) => id !== 'lunch'));
    expect(run(state, cmd.endShift(), 30, { catalog }).next.shift).toBeNull();
  });

  it('applies the upcoming status of a wrap-up that ran out before its timer, then ends the shift', () => {
    const env = { config: { wrapUpSeconds: 30 } };
    // Offline during the shift, so ending it applies no status that would clear the upcoming one anyway.
    const steps: Array<[Command, number]> = [
      [cmd.begin('c1'), 5],
      [cmd.select('idle'), 6],
      [cmd.end('c1'), 10],
    ];
    const state = after(steps, env, inShift('offline'));
    expect(state.upcoming?.id).toBe('idle');
    const { next, events } = run(state, cmd.endShift(), 60, env);
    expect(next.upcoming).toBeNull();
    expect(next.shift).toBeNull();
    expect(types(events)).toEqual([
      'user.wrap-up.ended', // the wrap-up was over: its interval goes to the activity log
      'user.upcoming.changed', // applied
      'user.status.changed', // idle, deferred
      'user.status.changed', // offline, shift end
      'user.shift.ended',
    ]);
    expect(eventOf(events, 'user.upcoming.changed').data).toMatchObject({
      upcoming: null,
      reason: 'APPLIED',
    });
  });
});
