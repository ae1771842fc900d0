/**
 * Overage follows the status type as edited, through HTTP against a real daemon and Redis (fake clock): an
 * admin's PATCH of allowedMinutes re-plans every user already in the type (through the catalog outbox and the
 * dispatcher), and the span's overage seconds come from the times when it closes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../harness/clock.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { fireTimers, ok, user, waitForUser } from './day-helpers.js';

const USERS = ['u1', 'u2', 'u3'];

describe('overage after an edit of allowedMinutes', () => {
  let d: TestDaemon;
  const clock = new ManualClock(Date.parse('2026-03-02T08:00:00.000Z'));
  const patch = (allowedMinutes: number | null) =>
    ok(d, 'admin', 'PATCH', '/v1/status-types/on-break', { allowedMinutes });

  beforeAll(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl'), clock: clock.now });
    for (const id of USERS) await ok(d, 'admin', 'PUT', `/v1/users/${id}`, { displayName: id });
    // u1 and u2 go on break (15 allowed minutes) at 09:00; u3 stays Active.
    clock.set('2026-03-02T09:00:00.000Z');
    for (const id of ['u1', 'u2'])
      await ok(d, 'supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'on-break' });
    await ok(d, 'supervisor', 'PUT', '/v1/users/u3/status', { statusId: 'active' });
  });
  afterAll(async () => d?.stop());

  it('lowered below the time spent: overage starts at once for everyone in the type, from the new allowance', async () => {
    clock.set('2026-03-02T09:10:00.000Z');
    await patch(5);
    for (const id of ['u1', 'u2']) {
      const u = await waitForUser(d, id, (x) => x.overage !== null, `${id} re-planned`);
      expect(u.overage).toEqual({ since: '2026-03-02T09:05:00.000Z', allowedMinutes: 5 });
    }
    expect((await user(d, 'u3')).overage).toBeNull();
  });

  it('raised past the time spent: the overage ends, and starts again when the new allowance runs out', async () => {
    clock.set('2026-03-02T09:12:00.000Z');
    await patch(20);
    await waitForUser(d, 'u1', (x) => x.overage === null, 'u1 overage cleared');
    clock.set('2026-03-02T09:20:00.000Z');
    await fireTimers(d);
    const u = await waitForUser(d, 'u1', (x) => x.overage !== null, 'overage at the raised allowance');
    expect(u.overage).toEqual({ since: '2026-03-02T09:20:00.000Z', allowedMinutes: 20 });
  });

  it('unset: the overage ends; the span records no overage', async () => {
    clock.set('2026-03-02T09:25:00.000Z');
    await patch(null);
    await waitForUser(d, 'u2', (x) => x.overage === null, 'u2 overage cleared');
    clock.set('2026-03-02T09:30:00.000Z');
    await ok(d, 'supervisor', 'PUT', '/v1/users/u2/status', { statusId: 'active' });
    const history = (await ok(d, 'supervisor', 'GET', '/v1/users/u2/history')).items;
    expect(history[1]).toMatchObject({ statusId: 'on-break', seconds: 1800, overageSeconds: 0 });
  });

  it('the span’s overage seconds come from the times, even when no overage timer ever ran', async () => {
    await patch(15);
    clock.set('2026-03-02T10:00:00.000Z');
    await ok(d, 'supervisor', 'PUT', '/v1/users/u3/status', { statusId: 'on-break' });
    // 40 minutes on break, 15 allowed, and no timer is fired in between.
    clock.set('2026-03-02T10:40:00.000Z');
    await ok(d, 'supervisor', 'PUT', '/v1/users/u3/status', { statusId: 'active' });
    const history = (await ok(d, 'supervisor', 'GET', '/v1/users/u3/history')).items;
    expect(history[1]).toMatchObject({ statusId: 'on-break', seconds: 2400, overageSeconds: 1500 });
  });
});

describe('overage re-plan is durable', () => {
  it('an edit committed while no dispatcher ran is re-planned by the next daemon', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
    const prefix = uniquePrefix('replan');
    const first = await startTestDaemon({ redisUrl: inject('redisUrl'), clock: clock.now, prefix });
    await ok(first, 'admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    await ok(first, 'supervisor', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    // The daemon "crashes" between the edit and its dispatch: no dispatcher reads the catalog outbox.
    await first.daemon.parts!.dispatcher.stop();
    clock.set('2026-03-02T09:10:00.000Z');
    await ok(first, 'admin', 'PATCH', '/v1/status-types/on-break', { allowedMinutes: 5 });
    expect((await user(first, 'u1')).overage).toBeNull();
    await first.stop();

    const second = await startTestDaemon({ redisUrl: inject('redisUrl'), clock: clock.now, prefix });
    try {
      const u = await waitForUser(second, 'u1', (x) => x.overage !== null, 're-planned by the next daemon');
      expect(u.overage).toEqual({ since: '2026-03-02T09:05:00.000Z', allowedMinutes: 5 });
    } finally {
      await second.stop();
    }
  });
});
