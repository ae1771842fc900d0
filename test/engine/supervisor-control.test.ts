/**
 * Supervisor control and "who did it", through HTTP against a real daemon and Redis: forced status and shift
 * end (supervisor and admin only), ending any agent's activity, actors on spans, events and the activity log,
 * and `lastUpcoming` in REST.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../harness/clock.js';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { SseClient } from '../events/sse-client.js';
import { ok, user } from './day-helpers.js';

describe('supervisor control', () => {
  let d: TestDaemon;
  const clock = new ManualClock(Date.parse('2026-03-02T08:00:00.000Z'));
  let n = 0;
  let id = '';

  beforeAll(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl'), clock: clock.now });
    await ok(d, 'admin', 'POST', '/v1/status-types', { name: 'Lunch', color: '#AA5500', limitPerShift: 1 });
  });
  afterAll(async () => d?.stop());

  /** A fresh user on a call, Active, with Lunch already used once and On Break upcoming. */
  beforeEach(async () => {
    id = `sv-${++n}`;
    await ok(d, 'admin', 'PUT', `/v1/users/${id}`, { displayName: id });
    await ok(d, 'integration', 'PUT', `/v1/users/${id}/status`, { statusId: 'lunch' });
    await ok(d, 'integration', 'PUT', `/v1/users/${id}/status`, { statusId: 'active' });
    await ok(d, 'integration', 'POST', `/v1/users/${id}/activities`, { id: 'c1', kind: 'call' });
    clock.advance(60);
    await ok(d, 'integration', 'PUT', `/v1/users/${id}/status`, { statusId: 'on-break' });
  });

  it('force: applied now while engaged and past the limit, with the reason; 403 for others', async () => {
    for (const role of ['integration', 'agent'] as const) {
      const refused = await d.request(role, 'PUT', `/v1/users/${id}/status`, {
        statusId: 'lunch',
        force: true,
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    const noForce = await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'lunch' });
    expect(noForce.body.error.code).toBe('STATUS_LIMIT_REACHED');
    const bare = await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, {
      statusId: 'idle',
      reason: 'x',
    });
    expect(bare.status).toBe(400);

    clock.advance(60);
    const forced = await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, {
      statusId: 'lunch',
      force: true,
      reason: 'team meeting',
    });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({
      applied: true,
      user: {
        status: {
          id: 'lunch',
          cause: 'supervisor',
          actor: { role: 'supervisor', name: 'supervisor' },
          reason: 'team meeting',
        },
        activities: [{ id: 'c1' }],
        upcoming: null,
        lastUpcoming: { id: 'on-break', outcome: 'cancelled', reason: 'SUPERSEDED' },
        shift: { usage: { lunch: 2 } },
      },
    });
    clock.advance(60);
    await ok(d, 'admin', 'PUT', `/v1/users/${id}/status`, { statusId: 'active', force: true });
    const history = (await ok(d, 'supervisor', 'GET', `/v1/users/${id}/history`)).items;
    expect(history[0]).toMatchObject({
      statusId: 'active',
      actor: { role: 'admin', name: 'admin' },
      reason: null,
    });
    expect(history[1]).toMatchObject({
      statusId: 'lunch',
      seconds: 60,
      cause: 'supervisor',
      reason: 'team meeting',
    });
  });

  it('force end of the shift: from any status, even while engaged; 403 for others', async () => {
    for (const role of ['integration', 'agent'] as const) {
      const refused = await d.request(role, 'DELETE', `/v1/users/${id}/shift?force=true`);
      expect(refused.status).toBe(403);
    }
    expect((await d.request('supervisor', 'DELETE', `/v1/users/${id}/shift`)).body.error.code).toBe(
      'USER_ENGAGED',
    );
    const ended = await d.request(
      'supervisor',
      'DELETE',
      `/v1/users/${id}/shift?force=true&reason=left%20early`,
    );
    expect(ended.status).toBe(200);
    expect(ended.body.user).toMatchObject({
      shift: null,
      status: { id: 'offline', cause: 'shift-end', actor: { role: 'supervisor' }, reason: 'left early' },
      activities: [{ id: 'c1' }],
      upcoming: null,
    });
  });

  it('a supervisor ends any agent’s activity, recorded with who did it', async () => {
    const sse = await SseClient.connect(`${d.url}/v1/events?users=${id}`, { key: KEYS.admin });
    try {
      const ended = (await ok(d, 'supervisor', 'DELETE', `/v1/users/${id}/activities/c1`)).user;
      expect(ended.activities).toEqual([]);
      expect(ended.status).toMatchObject({
        id: 'on-break',
        cause: 'deferred',
        actor: { role: 'supervisor', name: 'supervisor' },
        requestedBy: { actor: { role: 'integration', name: 'integration' }, cause: 'user' },
      });
      const event = await sse.next((e) => e.event === 'user.activity.ended', 'activity ended event');
      expect(event.json.actor).toEqual({ role: 'supervisor', name: 'supervisor' });
      const changed = await sse.next((e) => e.event === 'user.status.changed' && e.json.to === 'on-break');
      expect(changed.json).toMatchObject({
        actor: { role: 'supervisor', name: 'supervisor' },
        cause: 'deferred',
        requestedBy: { actor: { role: 'integration', name: 'integration' } },
      });
    } finally {
      sse.close();
    }
    const [record] = await d.daemon.parts!.store.activityLog(id, 1);
    expect(record).toMatchObject({ id: 'c1', actor: { role: 'supervisor', name: 'supervisor' } });
  });

  it('an upcoming status dropped at apply time (its limit was reached meanwhile) shows in lastUpcoming', async () => {
    const coffee = `coffee-${n}`;
    await ok(d, 'admin', 'POST', '/v1/status-types', {
      id: coffee,
      name: coffee,
      color: '#663300',
      limitPerShift: 2,
    });
    const other = `${id}-b`;
    await ok(d, 'admin', 'PUT', `/v1/users/${other}`, { displayName: other });
    await ok(d, 'integration', 'PUT', `/v1/users/${other}/status`, { statusId: coffee });
    await ok(d, 'integration', 'PUT', `/v1/users/${other}/status`, { statusId: 'active' });
    await ok(d, 'integration', 'POST', `/v1/users/${other}/activities`, { id: 'c1', kind: 'call' });
    expect(
      (await d.request('integration', 'PUT', `/v1/users/${other}/status`, { statusId: coffee })).status,
    ).toBe(202);
    await ok(d, 'admin', 'PATCH', `/v1/status-types/${coffee}`, { limitPerShift: 1 });
    clock.advance(60);
    const ended = (await ok(d, 'integration', 'DELETE', `/v1/users/${other}/activities/c1`)).user;
    expect(ended.status.id).toBe('active');
    expect(ended.upcoming).toBeNull();
    expect(ended.lastUpcoming).toEqual({
      id: coffee,
      outcome: 'dropped',
      reason: 'STATUS_LIMIT_REACHED',
      at: clock.iso(),
    });
    expect((await user(d, other)).lastUpcoming).toEqual(ended.lastUpcoming);
  });

  it('an integration key is recorded as the integration, not as a supervisor', async () => {
    const u = await user(d, id);
    expect(u.upcoming).toMatchObject({ id: 'on-break', actor: { role: 'integration', name: 'integration' } });
    const history = (await ok(d, 'supervisor', 'GET', `/v1/users/${id}/history`)).items;
    expect(history[0]).toMatchObject({ statusId: 'active', cause: 'user', actor: { role: 'integration' } });
  });
});
