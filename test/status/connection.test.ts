import { describe, expect, it } from 'vitest';
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
  run,
  statusType,
  types,
} from './fixtures.js';

/** In `statusId` since t=0 and connected since t=10 (so the timeout is for lastSeen = t10). */
const connected = (statusId = 'active') =>
  after([
    [cmd.select(statusId), 0],
    [cmd.heartbeat(), 10],
  ]);
const lose = (statusId?: string) => run(connected(statusId), cmd.timeout(at(10)), 100);

describe('heartbeat', () => {
  it('marks the connection online, emits the change and schedules the timeout', () => {
    const { next, events, timers } = run(after([]), cmd.heartbeat(), 10);
    expect(next.connection).toEqual({ state: 'online', lastSeen: at(10) });
    expect(events).toEqual([
      {
        type: 'user.connection.changed',
        userId: USER,
        at: at(10),
        actor: ACTORS.system,
        data: { state: 'online', lastSeen: at(10) },
      },
    ]);
    expect(timers).toEqual([
      { key: `conn:${USER}`, dueAt: at(100), command: { type: 'connectionTimeout', lastSeen: at(10) } },
    ]);
  });

  // A heartbeat flood must not be a flood of commits, events and timers: the store records the time cheaply.
  it('is a no-op when already online (no version, no event, no timer)', () => {
    expectNoop(connected(), cmd.heartbeat(), 40);
  });

  it('is a no-op when repeated at the same instant', () => {
    expectNoop(connected(), cmd.heartbeat(), 10);
  });

  it('restores the connection after a loss, but not the status', () => {
    const { next, events } = run(lose().next, cmd.heartbeat(), 200);
    expect(next.connection.state).toBe('online');
    expect(next.status.id).toBe('offline');
    expect(types(events)).toEqual(['user.connection.changed']);
  });
});

describe('connectionTimeout (timer)', () => {
  it('is stale (no-op) after a newer heartbeat', () => {
    // The store overlays the live lastSeen of cheap heartbeats on the state it loads.
    const state = { ...connected(), connection: { state: 'online' as const, lastSeen: at(50) } };
    expectNoop(state, cmd.timeout(at(10)), 100);
  });

  it('is stale (no-op) when the connection is not online', () => {
    expectNoop(after([]), cmd.timeout(at(10)), 100);
    expectNoop(lose().next, cmd.timeout(at(10)), 100);
  });

  it('marks the connection lost and applies Offline with cause connection-lost, keeping the shift', () => {
    const before = connected();
    const { next, events } = lose();
    expect(next.connection).toEqual({ state: 'lost', lastSeen: at(10) });
    expect(next.status).toMatchObject({
      id: 'offline',
      since: at(100),
      cause: 'connection-lost',
      actor: { role: 'system', name: 'timer:connection' },
    });
    expect(next.shift?.id).toBe(before.shift?.id);
    expect(types(events)).toEqual(['user.connection.changed', 'user.status.changed']);
    expect(eventOf(events, 'user.connection.changed').data).toEqual({ state: 'lost', lastSeen: at(10) });
  });

  it('only changes the connection when the type keeps its status on connection loss', () => {
    const { next, events } = lose('on-break');
    expect(next.status.id).toBe('on-break');
    expect(types(events)).toEqual(['user.connection.changed']);
  });

  it('holds Offline beside the upcoming while engaged, applied with cause connection-lost when the work ends', () => {
    const state = after([[cmd.begin('c1'), 20]], undefined, connected());
    const { next, events } = run(state, cmd.timeout(at(10)), 100);
    expect(next.status.id).toBe('active');
    expect(next.upcoming).toBeNull();
    expect(next.pendingOffline).toEqual({ since: at(100) });
    expect(eventOf(events, 'user.upcoming.changed').data).toEqual({
      upcoming: null,
      pendingOffline: { since: at(100) },
      reason: 'CONNECTION_LOST',
    });
    const ended = run(next, cmd.end('c1'), 120).next;
    expect(ended.status).toMatchObject({
      id: 'offline',
      since: at(120),
      cause: 'connection-lost',
      requestedBy: {
        actor: { role: 'system', name: 'timer:connection' },
        cause: 'connection-lost',
        at: at(100),
      },
    });
    expect(ended.pendingOffline).toBeNull();
  });

  it('changes no status when already Offline', () => {
    const catalog = catalogOf(statusType('offline', { keepOnConnectionLoss: false }));
    const state = after([[cmd.select('offline'), 20]], { catalog }, connected());
    const { events } = run(state, cmd.timeout(at(10)), 100, { catalog });
    expect(types(events)).toEqual(['user.connection.changed']);
  });

  it('goes Offline from a status whose type was deleted', () => {
    const catalog = new Map([...CATALOG].filter(([id]) => id !== 'lunch'));
    const { next } = run(connected('lunch'), cmd.timeout(at(10)), 100, { catalog });
    expect(next.status.id).toBe('offline');
  });

  it('is neither refused by nor counted against a limit on Offline', () => {
    const catalog = catalogOf(statusType('offline', { limitPerShift: 0 }));
    const direct = run(connected(), cmd.timeout(at(10)), 100, { catalog }).next;
    expect(direct.status.id).toBe('offline');
    expect(direct.shift?.usage).toEqual({ active: 1 });
    const engaged = after(
      [
        [cmd.begin('c1'), 20],
        [cmd.timeout(at(10)), 100],
      ],
      { catalog },
      connected(),
    );
    const deferred = run(engaged, cmd.end('c1'), 120, { catalog }).next;
    expect(deferred.status.id).toBe('offline');
    expect(deferred.shift?.usage).toEqual({ active: 1 });
  });
});
