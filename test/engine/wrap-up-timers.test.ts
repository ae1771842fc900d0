/**
 * Two calls ending in the same millisecond each request a wrap-up timer with the same key and due time; the
 * second (the one that counts) must not be dropped as a duplicate of the first, or the user stays engaged.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

describe('wrap-up timers', () => {
  let d: TestDaemon;
  let nowMs = Date.parse('2026-03-02T08:00:00.000Z');
  beforeEach(async () => {
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: () => new Date(nowMs),
      config: { status: { wrapUpSeconds: 30 } },
    });
    await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
  });
  afterEach(async () => d.stop());

  it('applies the deferred status after the wrap-up of the last of two calls that ended at once', async () => {
    await d.request('integration', 'POST', '/v1/users/u1/activities', { id: 'c1', kind: 'call' });
    await d.request('integration', 'POST', '/v1/users/u1/activities', { id: 'c2', kind: 'call' });
    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status).toBe(
      202,
    );
    nowMs += 60_000;
    await d.request('integration', 'DELETE', '/v1/users/u1/activities/c1');
    await d.request('integration', 'DELETE', '/v1/users/u1/activities/c2'); // same clock time
    const timers = d.daemon.parts!.timers;
    await waitFor(async () => ((await timers.counts()).delayed ?? 0) >= 2, {
      what: 'both wrap-up timers scheduled',
    });
    nowMs += 30_000;
    await timers.promoteAll();
    const user = await waitFor(
      async () => {
        const u = (await d.request('admin', 'GET', '/v1/users/u1')).body;
        return u.status.id === 'on-break' ? u : null;
      },
      { what: 'deferred On Break after the wrap-up' },
    );
    expect(user).toMatchObject({ status: { cause: 'deferred' }, wrapUp: null, upcoming: null });
  });
});
