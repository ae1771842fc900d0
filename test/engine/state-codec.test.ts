/**
 * The stored form of a user's state (users/state-codec.ts): empty fields and the id are left out, and every
 * reader gets the full UserState back, also from the JSON earlier versions wrote.
 */
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { Keys } from '../../src/bridge/redis/keys.js';
import { decodeSpan, decodeState, encodeSpan, encodeState } from '../../src/bridge/users/state-codec.js';
import type { HistorySpan, UserState } from '../../src/status/index.js';
import { startTestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { after, at, cmd, DIRECTORY, USER } from '../status/fixtures.js';

const withShift = (): UserState => after([[cmd.startShift(), 0]]);
const busy = (): UserState =>
  after(
    [
      [cmd.directory(DIRECTORY), 0],
      [cmd.startShift(), 1],
      [cmd.begin('c1'), 10],
      [cmd.select('on-break'), 20],
      [cmd.offer('o1'), 25],
      [cmd.miss('o1'), 30],
      [cmd.heartbeat(), 31],
      [cmd.end('c1'), 40],
    ],
    { config: { wrapUpSeconds: 30 } },
  );

describe('stored user state', () => {
  it.each([
    ['new', () => after([[cmd.select('active'), 0]])],
    ['on shift', withShift],
    ['in wrap-up with an upcoming status, an offer missed, online', busy],
  ])('round-trips (%s)', (_name, make) => {
    const state = make();
    expect(decodeState(encodeState(state), state.id, state.version)).toStrictEqual(state);
  });

  it('leaves out null and empty fields and the id', () => {
    const state = withShift();
    const stored = JSON.parse(encodeState(state)) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(['directory', 'shift', 'status']);
    expect(encodeState(state)).not.toContain('null');
    expect(encodeState(state).length).toBeLessThan(0.6 * JSON.stringify(state).length);
  });

  it('reads the full JSON the previous version wrote (every field, nulls included)', () => {
    const state = busy();
    expect(decodeState(JSON.stringify(state), USER, state.version)).toStrictEqual(state);
    const plain = withShift();
    expect(decodeState(JSON.stringify(plain), USER, plain.version)).toStrictEqual(plain);
  });

  it('reads a state from before offers and actors (upgradeState fills those in)', () => {
    const old = {
      id: USER,
      version: 3,
      directory: { displayName: 'Dana', pbx: null, mobile: null, queues: [], wrapUpSeconds: null },
      status: { id: 'active', since: at(0), cause: 'user' },
      upcoming: null,
      activities: [],
      wrapUp: null,
      endedActivities: [],
      shift: null,
      overage: null,
      connection: { state: 'unknown', lastSeen: null },
    };
    expect(decodeState(JSON.stringify(old), USER, 3)).toStrictEqual({
      ...old,
      status: {
        ...old.status,
        actor: { role: 'system', name: 'unrecorded' },
        requestedBy: null,
        reason: null,
      },
      lastUpcoming: null,
      pendingOffline: null,
      staleCheckAt: null,
      offers: [],
      endedOffers: [],
      missedOffers: { consecutive: 0, recent: [] },
    });
  });
});

describe('stored history span', () => {
  const span: HistorySpan = {
    statusId: 'offline',
    name: 'Offline',
    from: at(0),
    to: at(1),
    seconds: 1,
    overageSeconds: 0,
    cause: 'user',
    actor: { role: 'system', name: 'system' },
    requestedBy: null,
    reason: null,
  };
  const deferred: HistorySpan = {
    ...span,
    overageSeconds: 12,
    cause: 'deferred',
    requestedBy: { actor: { role: 'agent', name: 'dana' }, cause: 'user', at: at(0) },
    reason: 'why',
  };

  it('leaves out a null requestedBy and reason and a zero overage, and reads them back', () => {
    expect(JSON.parse(encodeSpan(span))).toStrictEqual({
      statusId: 'offline',
      name: 'Offline',
      from: at(0),
      to: at(1),
      seconds: 1,
      cause: 'user',
      actor: { role: 'system', name: 'system' },
    });
    expect(decodeSpan(encodeSpan(span))).toStrictEqual(span);
    expect(decodeSpan(encodeSpan(deferred))).toStrictEqual(deferred);
  });

  it('reads the full span the previous version wrote', () => {
    expect(decodeSpan(JSON.stringify(span))).toStrictEqual(span);
    expect(decodeSpan(JSON.stringify(deferred))).toStrictEqual(deferred);
  });
});

describe('a user the previous version stored', () => {
  it('loads through the API and takes a change, which is stored compact', async () => {
    const prefix = uniquePrefix('codec');
    const keys = new Keys(prefix, 4); // the harness runs 4 partitions
    const redis = new Redis(inject('redisUrl'));
    // The stored shift opened on a fixed day: no automatic shift end may close it whenever the test runs.
    const d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      prefix,
      config: { status: { shift: { maxHours: null, endAfterOfflineMinutes: null } } },
    });
    try {
      // Exactly what the previous version's commit wrote for a user with an open shift.
      const since = '2026-12-03T14:25:44.546Z';
      const old = {
        id: 'u-old',
        version: 2,
        directory: { displayName: 'Olga', pbx: null, mobile: null, queues: [], wrapUpSeconds: null },
        status: {
          id: 'active',
          since,
          cause: 'shift-start',
          actor: { role: 'admin', name: 'admin' },
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
        shift: { id: 'shift-1', startedAt: since, usage: { active: 1 } },
        overage: null,
        connection: { state: 'unknown', lastSeen: null },
      };
      const p = keys.partitionOf('u-old');
      await redis.hset(keys.user('u-old'), 'state', JSON.stringify(old), 'v', '2');
      await redis.zadd(keys.userIndex(p), 0, 'u-old');
      await redis.sadd(keys.inStatus(p, 'active'), 'u-old');
      const oldSpan = {
        statusId: 'offline',
        name: 'Offline',
        from: '2026-12-03T14:25:44.000Z',
        to: since,
        seconds: 0.546,
        overageSeconds: 0,
        cause: 'user',
        actor: { role: 'system', name: 'system' },
        requestedBy: null,
        reason: null,
      };
      await redis.lpush(keys.history('u-old'), JSON.stringify(oldSpan));

      const got = await d.request('admin', 'GET', '/v1/users/u-old');
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        id: 'u-old',
        version: 2,
        displayName: 'Olga',
        status: { id: 'active', since },
        shift: { id: 'shift-1' },
      });
      const history = await d.request('admin', 'GET', '/v1/users/u-old/history');
      expect(history.body.items[1]).toStrictEqual(oldSpan);
      const put = await d.request('admin', 'PUT', '/v1/users/u-old/status', { statusId: 'on-break' });
      expect(put.status).toBe(200);
      expect(put.body.user).toMatchObject({
        version: 3,
        status: { id: 'on-break' },
        shift: { id: 'shift-1' },
      });
      const stored = JSON.parse((await redis.hget(keys.user('u-old'), 'state')) ?? '{}') as Record<
        string,
        unknown
      >;
      expect(stored).not.toHaveProperty('id');
      expect(stored).not.toHaveProperty('offers');
      expect(stored).not.toHaveProperty('version');
      expect(stored).toMatchObject({ status: { id: 'on-break' } });
      const [newest] = await redis.lrange(keys.history('u-old'), 0, 0);
      expect(JSON.parse(newest!)).not.toHaveProperty('requestedBy');
      expect((await d.request('admin', 'GET', '/v1/users/u-old/history')).body.items[1]).toMatchObject({
        statusId: 'active',
        requestedBy: null,
        reason: null,
        overageSeconds: 0,
      });
    } finally {
      await d.stop();
      redis.disconnect();
    }
  });
});
