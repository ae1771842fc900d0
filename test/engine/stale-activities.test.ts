/**
 * No activity is stuck forever, through HTTP against a real daemon and Redis (fake clock): an activity whose end
 * was lost is ended after status.maxActivityHours with cause stale, a warning log and an event; an end that
 * arrives before its begin leaves nobody engaged.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Daemon } from '../../src/bridge/daemon.js';
import { createLogger } from '../../src/bridge/logger.js';
import { ManualClock } from '../harness/clock.js';
import { KEYS, TestDaemon, testConfig } from '../harness/daemon.js';
import { SseClient } from '../events/sse-client.js';
import { waitFor } from '../harness/wait.js';
import { fireTimers, ok, user, waitForUser } from './day-helpers.js';

describe('stale activities', () => {
  let d: TestDaemon;
  const clock = new ManualClock(Date.parse('2026-03-02T08:00:00.000Z'));
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const config = testConfig({
      redisUrl: inject('redisUrl'),
      config: { status: { maxActivityHours: 12 }, log: { level: 'warn' } },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    const daemon = new Daemon({ config, log: createLogger('warn', sink), clock: clock.now });
    await daemon.start();
    d = new TestDaemon(daemon, config);
    await ok(d, 'admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
  });
  afterAll(async () => d?.stop());

  it('ends an activity open for maxActivityHours with cause stale, a warning and an event', async () => {
    await ok(d, 'agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
    await ok(d, 'integration', 'POST', '/v1/users/u1/activities', { id: 'lost-end', kind: 'call' });
    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'idle' })).status).toBe(202);
    const sse = await SseClient.connect(`${d.url}/v1/events?users=u1`, { key: KEYS.supervisor });
    try {
      clock.advance(12 * 3600);
      await fireTimers(d);
      const ended = await waitForUser(d, 'u1', (u) => u.activities.length === 0, 'stale activity ended');
      // The agent's choice is applied when the (stuck) work ends; no wrap-up after a stale call.
      expect(ended).toMatchObject({ status: { id: 'idle', cause: 'deferred' }, wrapUp: null });
      const event = await sse.next((e) => e.event === 'user.activity.ended', 'activity ended event');
      expect(event.json).toMatchObject({
        cause: 'stale',
        activity: { id: 'lost-end' },
        actor: { role: 'system', name: 'timer:stale-activity' },
      });
    } finally {
      sse.close();
    }
    const warning = await waitFor(() => logs.find((l) => l.activityId === 'lost-end'), { what: 'warning' });
    expect(warning).toMatchObject({ level: 40, userId: 'u1', kind: 'call' });
    const [record] = await d.daemon.parts!.store.activityLog('u1', 1);
    expect(record).toMatchObject({ id: 'lost-end', cause: 'stale' });
  });

  it('an end that arrives before its begin leaves the user free', async () => {
    await ok(d, 'integration', 'DELETE', '/v1/users/u1/activities/out-of-order');
    await ok(d, 'integration', 'POST', '/v1/users/u1/activities', { id: 'out-of-order', kind: 'call' });
    expect((await user(d, 'u1')).activities).toEqual([]);
    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' })).status).toBe(200);
  });
});
