/** Connection loss does not destroy the agent's choice (issue #12, point 4). */
import { describe, expect, it } from 'vitest';
import {
  ACTORS,
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

/** Active from t=0, heartbeat at t=10, on call c1 from t=20, On Break picked at t=30 (upcoming). */
const onCallWithBreak = () =>
  after([
    [cmd.select('active'), 0],
    [cmd.heartbeat(), 10],
    [cmd.begin('c1'), 20],
    [cmd.select('on-break'), 30],
  ]);
const keepsNothing = catalogOf(statusType('on-break', { keepOnConnectionLoss: false, canEndShift: false }));
/** The connection was lost at t=100 (no heartbeat since t=10) while still on the call. */
const lostOnCall = (catalog = keepsNothing) => run(onCallWithBreak(), cmd.timeout(at(10)), 100, { catalog });

describe('connection lost while engaged', () => {
  it('keeps the agent’s upcoming and holds Offline beside it', () => {
    const { next } = lostOnCall();
    expect(next.upcoming).toMatchObject({ id: 'on-break', cause: 'user' });
    expect(next.pendingOffline).toEqual({ since: at(100) });
    expect(next.status.id).toBe('active');
  });

  it('keeps the upcoming as it was when the connection comes back before the work ends', () => {
    const back = run(lostOnCall().next, cmd.heartbeat(), 150, { catalog: keepsNothing });
    expect(back.next.pendingOffline).toBeNull();
    expect(back.next.upcoming).toMatchObject({ id: 'on-break', selectedAt: at(30) });
    expect(eventOf(back.events, 'user.upcoming.changed').data).toMatchObject({
      reason: 'CONNECTION_RESTORED',
    });
    const ended = run(back.next, cmd.end('c1'), 200, { catalog: keepsNothing }).next;
    expect(ended.status).toMatchObject({ id: 'on-break', cause: 'deferred' });
  });

  it('applies Offline (cause connection-lost) and drops the upcoming when the connection did not come back', () => {
    const { next, events } = run(lostOnCall().next, cmd.end('c1'), 200, { catalog: keepsNothing });
    expect(next.status).toMatchObject({ id: 'offline', cause: 'connection-lost', since: at(200) });
    expect(next.upcoming).toBeNull();
    expect(next.lastUpcoming).toEqual({
      id: 'on-break',
      outcome: 'dropped',
      reason: 'CONNECTION_LOST',
      at: at(200),
    });
    expect(eventOf(events, 'user.status.changed').data.cause).toBe('connection-lost');
  });

  it('applies an upcoming status whose type keeps its status on connection loss, and no Offline', () => {
    // The built-in On Break keeps the status when the connection is lost.
    const lost = lostOnCall(catalogOf());
    expect(lost.next.pendingOffline).toEqual({ since: at(100) });
    const { next } = run(lost.next, cmd.end('c1'), 200);
    expect(next.status).toMatchObject({ id: 'on-break', cause: 'deferred' });
    expect(next.pendingOffline).toBeNull();
  });

  it('holds nothing when the current type keeps its status and nothing else is upcoming', () => {
    const state = after([
      [cmd.select('on-break'), 0],
      [cmd.heartbeat(), 10],
      [cmd.begin('t1', 'task'), 20],
    ]);
    const { next, events } = run(state, cmd.timeout(at(10)), 100);
    expect(next.pendingOffline).toBeNull();
    expect(types(events)).toEqual(['user.connection.changed']);
  });

  it('cancelling the pending Offline while still lost re-arms the timeout', () => {
    const { next, events, timers } = run(lostOnCall().next, cmd.cancel('supervisor'), 150, {
      catalog: keepsNothing,
    });
    expect(next.pendingOffline).toBeNull();
    expect(next.upcoming).toBeNull();
    expect(eventOf(events, 'user.upcoming.changed').actor).toEqual(ACTORS.supervisor);
    const rearmed = { type: 'connectionTimeout', lastSeen: at(10), rearmed: true };
    expect(timers).toContainEqual({ key: 'conn:u-1001', dueAt: at(240), command: rearmed });
    // The re-armed timer makes the loss move again: still on the call, so Offline is held again ...
    const again = run(next, { type: 'connectionTimeout', lastSeen: at(10), rearmed: true }, 240, {
      catalog: keepsNothing,
    });
    expect(again.next.pendingOffline).toEqual({ since: at(240) });
    // ... and once more is a no-op (nothing new to hold).
    expectNoop(again.next, { type: 'connectionTimeout', lastSeen: at(10), rearmed: true }, 250, {
      catalog: keepsNothing,
    });
  });

  it('a re-armed timer applies Offline at once when the work ended meanwhile', () => {
    const cancelled = run(lostOnCall().next, cmd.cancel('supervisor'), 150, { catalog: keepsNothing }).next;
    const free = run(cancelled, cmd.end('c1'), 160, { catalog: keepsNothing }).next;
    expect(free.status.id).toBe('active');
    const { next } = run(free, { type: 'connectionTimeout', lastSeen: at(10), rearmed: true }, 240, {
      catalog: keepsNothing,
    });
    expect(next.status).toMatchObject({ id: 'offline', cause: 'connection-lost' });
  });

  it('a re-armed timer is stale once a heartbeat came', () => {
    const cancelled = run(lostOnCall().next, cmd.cancel('supervisor'), 150, { catalog: keepsNothing }).next;
    const back = run(cancelled, cmd.heartbeat(), 200, { catalog: keepsNothing }).next;
    expectNoop(back, { type: 'connectionTimeout', lastSeen: at(10), rearmed: true }, 240, {
      catalog: keepsNothing,
    });
  });

  it('the original timer fired again while lost changes nothing', () => {
    expectNoop(lostOnCall().next, cmd.timeout(at(10)), 120, { catalog: keepsNothing });
  });
});
