import { describe, expect, it } from 'vitest';
import {
  DOMAIN_ERROR_CODES,
  DomainError,
  decide,
  isEngaged,
  newUserState,
  openSpan,
} from '../../src/status/index.js';
import { ACTORS, CATALOG, DIRECTORY, T0, USER, after, at, cmd, ctx, fresh, run } from './fixtures.js';

describe('newUserState', () => {
  it('is a never-stored user, Offline since now, without shift, connection unknown', () => {
    expect(newUserState(USER, DIRECTORY, T0)).toEqual({
      id: USER,
      version: 0,
      directory: DIRECTORY,
      status: {
        id: 'offline',
        since: T0,
        cause: 'user',
        actor: { role: 'system', name: 'system' },
        requestedBy: null,
        reason: null,
      },
      upcoming: null,
      lastUpcoming: null,
      pendingOffline: null,
      activities: [],
      staleCheckAt: null,
      offers: [],
      endedOffers: [],
      missedOffers: { consecutive: 0, recent: [] },
      wrapUp: null,
      endedActivities: [],
      shift: null,
      overage: null,
      connection: { state: 'unknown', lastSeen: null },
    });
  });
});

describe('decide', () => {
  it('returns the next state with version + 1 on a change, leaving the input untouched', () => {
    const state = fresh();
    const before = structuredClone(state);
    const result = run(state, cmd.select('active'), 5);
    expect(result.changed).toBe(true);
    expect(result.next.version).toBe(1);
    expect(run(result.next, cmd.select('idle'), 6).next.version).toBe(2);
    expect(state).toEqual(before);
  });

  it('refuses with INVALID_TIME (500) when now is not a time, instead of throwing', () => {
    const result = decide(fresh(), cmd.heartbeat(), { ...ctx(0), now: 'yesterday' });
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_TIME', statusCode: 500 } });
  });
});

describe('isEngaged', () => {
  const env = { config: { wrapUpSeconds: 30 } };

  it('is true while an activity is open', () => {
    const state = after([[cmd.begin('t1', 'task'), 5]]);
    expect(isEngaged(state, at(5))).toBe(true);
    expect(isEngaged(fresh(), at(5))).toBe(false);
  });

  it('is true during wrap-up, until the wrap-up time', () => {
    const state = after(
      [
        [cmd.begin('c1'), 5],
        [cmd.end('c1'), 10],
      ],
      env,
    );
    expect(isEngaged(state, at(39))).toBe(true);
    expect(isEngaged(state, at(40))).toBe(false);
  });
});

describe('openSpan', () => {
  it('is the current span with the seconds so far and to = null', () => {
    const state = after([
      [cmd.select('on-break', 'supervisor'), 0],
      [cmd.overageDue('on-break', at(0)), 900],
    ]);
    expect(openSpan(state, CATALOG, at(1000))).toEqual({
      statusId: 'on-break',
      name: 'On Break',
      from: at(0),
      to: null,
      seconds: 1000,
      overageSeconds: 100,
      cause: 'supervisor',
      actor: ACTORS.supervisor,
      requestedBy: null,
      reason: null,
    });
  });
});

describe('DomainError', () => {
  it('carries a stable code, the HTTP status and details', () => {
    const error = new DomainError('STATUS_LIMIT_REACHED', { limit: 2, used: 2 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'DomainError', code: 'STATUS_LIMIT_REACHED', statusCode: 409 });
    expect(error.details).toEqual({ limit: 2, used: 2 });
    expect(error.message).not.toBe('');
  });

  it('lists every domain code, each in UPPER_SNAKE_CASE', () => {
    expect([...DOMAIN_ERROR_CODES].sort()).toEqual([
      'CANNOT_END_SHIFT',
      'INVALID_TIME',
      'NOT_IN_WRAP_UP',
      'NO_SHIFT',
      'SHIFT_ALREADY_STARTED',
      'STATUS_LIMIT_REACHED',
      'STATUS_TYPE_NOT_FOUND',
      'TOO_MANY_ACTIVITIES',
      'USER_ENGAGED',
      'WRAP_UP_LIMIT_REACHED',
    ]);
    for (const code of DOMAIN_ERROR_CODES) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});
