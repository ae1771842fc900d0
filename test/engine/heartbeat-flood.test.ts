/**
 * Heartbeats are cheap (issue 13): one that changes nothing visible is not a commit (no version, no outbox entry,
 * no new timer), the one connection timer still fires after the live lastSeen's timeout, every heartbeat is
 * answered 204, and a key flooding one user is answered 429 RATE_LIMITED with Retry-After.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { decodeTimer } from '../../src/bridge/timers/timer-member.js';
import { ManualClock } from '../harness/clock.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { fireTimers, ok, user, waitForUser } from './day-helpers.js';

describe('heartbeat flood', () => {
  let d: TestDaemon;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-03-02T08:00:00.000Z'));
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: clock.now,
      config: { status: { connectionTimeoutSeconds: 90, heartbeatsPerMinute: 30 } },
    });
    await ok(d, 'admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    await ok(d, 'agent', 'POST', '/v1/users/u1/shift', {});
    await ok(d, 'agent', 'POST', '/v1/users/u1/heartbeat');
    await fireTimers(d);
  });
  afterEach(async () => d?.stop());

  const streamLength = async () => {
    const keys = d.daemon.parts!.keys;
    let total = 0;
    for (const p of keys.allPartitions()) total += await d.daemon.redis!.xlen(keys.events(p));
    return total;
  };
  /** Connection timers in the timer sets (members of kind "conn" start with "c", see timer-member.ts). */
  const delayedJobs = async () => {
    const keys = d.daemon.parts!.keys;
    let n = 0;
    for (const p of keys.allPartitions()) {
      const members = await d.daemon.redis!.zrange(keys.timers(p), 0, -1);
      n += members.filter((m) => decodeTimer(m).kind === 'conn').length;
    }
    return n;
  };

  it('records heartbeats while online without a commit, an event or a timer job each', async () => {
    const before = await user(d, 'u1');
    const entries = await streamLength();
    const jobs = await delayedJobs();
    expect(jobs).toBe(1);
    for (let i = 0; i < 40; i++) {
      clock.advance(2);
      const res = await d.request('agent', 'POST', '/v1/users/u1/heartbeat');
      expect(res.status).toBe(204);
    }
    expect(await streamLength()).toBe(entries);
    const after = await user(d, 'u1');
    expect(after.version).toBe(before.version);
    expect(after.connection).toEqual({ state: 'online', lastSeen: clock.iso() });
    // The connection timer, fired early (other timers fired early may set themselves again), moves itself on.
    await fireTimers(d);
    expect(await delayedJobs()).toBe(jobs);
    expect((await user(d, 'u1')).connection.state).toBe('online');
  });

  it('still loses the connection a timeout after the last cheap heartbeat, and a restoring heartbeat commits', async () => {
    clock.advance(60);
    await ok(d, 'agent', 'POST', '/v1/users/u1/heartbeat');
    const lastSeen = clock.iso();
    expect((await user(d, 'u1')).connection).toEqual({ state: 'online', lastSeen });
    clock.advance(60); // 120 s after the committed heartbeat, 60 s after the cheap one: still online
    await fireTimers(d);
    expect((await user(d, 'u1')).connection).toEqual({ state: 'online', lastSeen });
    clock.advance(31);
    await fireTimers(d);
    const lost = await waitForUser(d, 'u1', (u) => u.connection.state === 'lost', 'connection lost');
    expect(lost.connection).toEqual({ state: 'lost', lastSeen });
    expect(lost.status.id).toBe('offline');
    clock.advance(5);
    await ok(d, 'agent', 'POST', '/v1/users/u1/heartbeat');
    const back = await user(d, 'u1');
    expect(back.version).toBe(lost.version + 1);
    expect(back.connection).toEqual({ state: 'online', lastSeen: clock.iso() });
  });

  it('answers 429 RATE_LIMITED with Retry-After past the per-minute limit, per key and user', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 29; i++)
      codes.push((await d.request('agent', 'POST', '/v1/users/u1/heartbeat')).status);
    expect(codes.every((c) => c === 204)).toBe(true); // 30 with the one in beforeEach... same window
    const limited = await d.request('agent', 'POST', '/v1/users/u1/heartbeat');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another key for the same user has its own window.
    expect((await d.request('integration', 'POST', '/v1/users/u1/heartbeat')).status).toBe(204);
    clock.advance(61);
    expect((await d.request('agent', 'POST', '/v1/users/u1/heartbeat')).status).toBe(204);
  });
});
