/**
 * Automatic shift end through HTTP against a real daemon and Redis, over simulated days (fake clock): the daily
 * cut-off ends Monday's shift so a status limited to once per shift can be taken again on Tuesday, and a user
 * Offline long enough has the shift ended for them.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../harness/clock.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { fireTimers, ok, user, waitForUser } from './day-helpers.js';

describe('shift auto-end over days', () => {
  let d: TestDaemon;
  const clock = new ManualClock(Date.parse('2026-03-02T06:00:00.000Z')); // Monday 07:00 in Berlin

  afterEach(async () => d?.stop());

  it('ends the shift at the daily cut-off (04:00 Berlin); Lunch (limit 1) is allowed again on Tuesday', async () => {
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: clock.now,
      config: {
        status: {
          timezone: 'Europe/Berlin',
          shift: { dayBoundary: '04:00', maxHours: null, endAfterOfflineMinutes: null },
        },
      },
    });
    await ok(d, 'admin', 'POST', '/v1/status-types', { name: 'Lunch', color: '#AA5500', limitPerShift: 1 });
    await ok(d, 'admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });

    // Monday: shift from 08:00 (07:00 UTC), Lunch at 12:00, back to Active, Offline at 17:00, nobody ends the shift.
    clock.set('2026-03-02T07:00:00.000Z');
    const monday = (await ok(d, 'agent', 'POST', '/v1/users/u1/shift', {})).user;
    clock.set('2026-03-02T11:00:00.000Z');
    await ok(d, 'agent', 'PUT', '/v1/users/u1/status', { statusId: 'lunch' });
    clock.set('2026-03-02T11:45:00.000Z');
    await ok(d, 'agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
    const again = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'lunch' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'STATUS_LIMIT_REACHED', details: { limit: 1, used: 1 } });
    clock.set('2026-03-02T16:00:00.000Z');
    await ok(d, 'agent', 'PUT', '/v1/users/u1/status', { statusId: 'offline' });
    expect((await user(d, 'u1')).shift.id).toBe(monday.shift.id);

    // 04:00 Berlin on Tuesday is 03:00 UTC: the cut-off timer fires.
    clock.set('2026-03-03T03:00:00.000Z');
    await fireTimers(d);
    const ended = await waitForUser(d, 'u1', (u) => u.shift === null, 'shift ended at the cut-off');
    expect(ended.status).toMatchObject({ id: 'offline', cause: 'user' });

    // Tuesday: a new shift, usage fresh.
    clock.set('2026-03-03T07:00:00.000Z');
    const tuesday = (await ok(d, 'agent', 'POST', '/v1/users/u1/shift', {})).user;
    expect(tuesday.shift.id).not.toBe(monday.shift.id);
    clock.set('2026-03-03T11:00:00.000Z');
    const lunch = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'lunch' });
    expect(lunch.status).toBe(200);
    expect(lunch.body.user.shift.usage).toEqual({ active: 1, lunch: 1 });
  });

  it('ends the shift after endAfterOfflineMinutes Offline (a timer fired early sets itself again)', async () => {
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: clock.now,
      config: { status: { shift: { endAfterOfflineMinutes: 60, maxHours: null, dayBoundary: null } } },
    });
    await ok(d, 'admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    clock.set('2026-03-04T08:00:00.000Z');
    await ok(d, 'agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
    clock.set('2026-03-04T12:00:00.000Z');
    await ok(d, 'agent', 'PUT', '/v1/users/u1/status', { statusId: 'offline' });
    clock.set('2026-03-04T12:59:00.000Z');
    await fireTimers(d); // early: nothing happens
    expect((await user(d, 'u1')).shift).not.toBeNull();
    clock.set('2026-03-04T13:00:00.000Z');
    await fireTimers(d);
    await waitForUser(d, 'u1', (u) => u.shift === null, 'shift ended after an hour Offline');
    const history = (await ok(d, 'supervisor', 'GET', '/v1/users/u1/history')).items;
    expect(history[0]).toMatchObject({ statusId: 'offline', to: null, cause: 'user' });
  });

  it('ends a shift at maxHours with cause shift-auto-end on the span and the event', async () => {
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: clock.now,
      config: { status: { shift: { maxHours: 10, endAfterOfflineMinutes: null, dayBoundary: null } } },
    });
    await ok(d, 'admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    clock.set('2026-03-05T08:00:00.000Z');
    await ok(d, 'agent', 'POST', '/v1/users/u1/shift', {});
    clock.set('2026-03-05T18:00:00.000Z');
    await fireTimers(d);
    const ended = await waitForUser(d, 'u1', (u) => u.shift === null, 'shift ended at maxHours');
    expect(ended.status).toMatchObject({
      id: 'offline',
      cause: 'shift-auto-end',
      since: '2026-03-05T18:00:00.000Z',
      actor: { role: 'system', name: 'timer:shift' },
    });
    const history = (await ok(d, 'supervisor', 'GET', '/v1/users/u1/history')).items;
    expect(history[0]).toMatchObject({ statusId: 'offline', cause: 'shift-auto-end', to: null });
    expect(history[1]).toMatchObject({ statusId: 'active', seconds: 36_000, cause: 'shift-start' });
  });
});
