/**
 * The status engine end to end through HTTP (issue "Status engine", "Done when"): shift as Active, a call,
 * On Break picked during it (202, upcoming), call ends, wrap-up runs, On Break applied automatically (deferred);
 * limit and overage as configured; ending the shift refused from On Break and allowed from Active.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

class ManualClock {
  constructor(private ms = Date.parse('2026-03-02T08:00:00.000Z')) {}
  now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

describe('status engine scenario', () => {
  let d: TestDaemon;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: clock.now,
      config: { status: { wrapUpSeconds: 30 } },
    });
    await d.request('admin', 'PATCH', '/v1/status-types/on-break', { limitPerShift: 2, allowedMinutes: 15 });
    expect((await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' })).status).toBe(201);
  });
  afterEach(async () => d.stop());

  const user = async () => (await d.request('supervisor', 'GET', '/v1/users/u1')).body;
  const timers = () => d.daemon.parts!.timers;

  it('defers On Break during a call and applies it when wrap-up ends, with no user action', async () => {
    expect((await d.request('agent', 'POST', '/v1/users/u1/shift', {})).body.user.status.id).toBe('active');
    expect(
      (await d.request('integration', 'POST', '/v1/users/u1/activities', { id: 'call-1', kind: 'call' }))
        .status,
    ).toBe(201);

    const picked = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    expect(picked.status).toBe(202);
    expect(picked.body).toMatchObject({
      applied: false,
      user: { status: { id: 'active' }, upcoming: { id: 'on-break' } },
    });
    expect((await user()).upcoming.id).toBe('on-break');

    clock.advance(60);
    const ended = await d.request('integration', 'DELETE', '/v1/users/u1/activities/call-1');
    expect(ended.body.user.status.id).toBe('active'); // wrap-up: still engaged
    expect(ended.body.user.wrapUp).not.toBeNull();

    clock.advance(30);
    await waitFor(async () => ((await timers().counts()).delayed ?? 0) > 0, {
      what: 'wrap-up timer scheduled',
    });
    await timers().promoteAll();
    const after = await waitFor(
      async () => {
        const u = await user();
        return u.status.id === 'on-break' ? u : null;
      },
      { what: 'deferred On Break applied' },
    );
    expect(after.status.cause).toBe('deferred');
    expect(after.upcoming).toBeNull();
    expect(after.shift.usage['on-break']).toBe(1);

    const history = (await d.request('agent', 'GET', '/v1/users/u1/history')).body.items;
    expect(history[0]).toMatchObject({ statusId: 'on-break', to: null, cause: 'deferred' });
    expect(history[1]).toMatchObject({ statusId: 'active', seconds: 90, cause: 'shift-start' });
  });

  it('enforces the per-shift limit, tracks overage, and ends the shift only from a type that can', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    for (let i = 0; i < 2; i++) {
      expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status).toBe(
        200,
      );
      expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' })).status).toBe(
        200,
      );
    }
    const refused = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'STATUS_LIMIT_REACHED',
      details: { limit: 2, used: 2 },
    });

    await d.request('admin', 'PATCH', '/v1/status-types/on-break', { limitPerShift: 3 });
    await waitFor(
      async () =>
        (await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status === 200,
      {
        what: 'edited limit takes effect',
      },
    );
    clock.advance(16 * 60);
    await timers().promoteAll();
    const overdue = await waitFor(async () => (await user()).overage, { what: 'overage started' });
    expect(overdue.allowedMinutes).toBe(15);

    const endFromBreak = await d.request('agent', 'DELETE', '/v1/users/u1/shift');
    expect(endFromBreak.status).toBe(409);
    expect(endFromBreak.body.error.code).toBe('CANNOT_END_SHIFT');

    clock.advance(60);
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
    const history = (await d.request('agent', 'GET', '/v1/users/u1/history')).body.items;
    expect(history[1]).toMatchObject({ statusId: 'on-break', seconds: 17 * 60, overageSeconds: 2 * 60 });

    const endFromActive = await d.request('agent', 'DELETE', '/v1/users/u1/shift');
    expect(endFromActive.status).toBe(200);
    expect(endFromActive.body.user).toMatchObject({
      status: { id: 'offline', cause: 'shift-end' },
      shift: null,
    });
  });
});
