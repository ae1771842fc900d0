/**
 * Connection loss does not destroy the agent's choice, through HTTP against a real daemon and Redis (fake clock):
 * the Offline of a lost connection is held beside the agent's upcoming status while a call goes on.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../harness/clock.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { fireTimers, ok, user, waitForUser } from './day-helpers.js';

describe('connection lost during a call', () => {
  let d: TestDaemon;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-03-02T08:00:00.000Z'));
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: clock.now,
      // Idle does not keep its status when the connection is lost (the built-in On Break does).
      config: { status: { connectionTimeoutSeconds: 90 } },
    });
    await ok(d, 'admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    await ok(d, 'agent', 'POST', '/v1/users/u1/shift', {});
    await ok(d, 'agent', 'POST', '/v1/users/u1/heartbeat');
    await ok(d, 'integration', 'POST', '/v1/users/u1/activities', { id: 'c1', kind: 'call' });
    clock.advance(30);
    const picked = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'idle' });
    expect(picked.status).toBe(202);
    // No heartbeat for 90 s: the connection timer fires.
    clock.advance(61);
    await fireTimers(d);
    const lost = await waitForUser(d, 'u1', (u) => u.connection.state === 'lost', 'connection lost');
    expect(lost).toMatchObject({
      status: { id: 'active' },
      upcoming: { id: 'idle', actor: { role: 'agent', name: 'agent-u1' } },
      pendingOffline: { since: clock.iso() },
    });
  });
  afterEach(async () => d?.stop());

  it('keeps the agent’s upcoming when the connection comes back before the call ends', async () => {
    clock.advance(20);
    await ok(d, 'agent', 'POST', '/v1/users/u1/heartbeat');
    expect(await user(d, 'u1')).toMatchObject({ pendingOffline: null, upcoming: { id: 'idle' } });
    clock.advance(20);
    const ended = (await ok(d, 'integration', 'DELETE', '/v1/users/u1/activities/c1')).user;
    expect(ended.status).toMatchObject({
      id: 'idle',
      cause: 'deferred',
      requestedBy: { actor: { role: 'agent', name: 'agent-u1' }, cause: 'user' },
    });
    expect(ended.lastUpcoming).toMatchObject({ id: 'idle', outcome: 'applied' });
  });

  it('applies Offline with cause connection-lost when the call ends without the connection', async () => {
    clock.advance(20);
    const ended = (await ok(d, 'integration', 'DELETE', '/v1/users/u1/activities/c1')).user;
    expect(ended.status).toMatchObject({ id: 'offline', cause: 'connection-lost' });
    expect(ended.upcoming).toBeNull();
    expect(ended.lastUpcoming).toMatchObject({ id: 'idle', outcome: 'dropped', reason: 'CONNECTION_LOST' });
    const history = (await ok(d, 'supervisor', 'GET', '/v1/users/u1/history')).items;
    expect(history[0]).toMatchObject({ statusId: 'offline', cause: 'connection-lost', to: null });
  });

  it('cancelling the pending Offline while still lost re-arms the timeout', async () => {
    clock.advance(10);
    const cancelled = (await ok(d, 'supervisor', 'DELETE', '/v1/users/u1/status/upcoming')).user;
    expect(cancelled).toMatchObject({ pendingOffline: null, upcoming: null, connection: { state: 'lost' } });
    await ok(d, 'integration', 'DELETE', '/v1/users/u1/activities/c1');
    expect((await user(d, 'u1')).status.id).toBe('active');
    // Another 90 s without a heartbeat: the re-armed timer makes the loss move again; the call is over now.
    clock.advance(90);
    await fireTimers(d);
    const offline = await waitForUser(
      d,
      'u1',
      (u) => u.status.id === 'offline',
      'Offline after the re-armed timeout',
    );
    expect(offline.status).toMatchObject({
      cause: 'connection-lost',
      actor: { role: 'system', name: 'timer:connection' },
    });
  });
});
