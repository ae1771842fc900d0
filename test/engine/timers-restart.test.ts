/**
 * Durable time (DESIGN.md principle 5): a timer is a member of its partition's timer set in Redis, so one that falls
 * due while no daemon runs fires as soon as a daemon on the same Redis and prefix starts, and its effect is applied.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Keys } from '../../src/bridge/redis/keys.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';

/** A user's stored state read straight from Redis, with no daemon running. */
async function storedState(prefix: string, userId: string): Promise<unknown> {
  const redis = new Redis(inject('redisUrl'));
  try {
    const keys = new Keys(prefix, 4); // the harness runs 4 partitions
    return JSON.parse((await redis.hget(keys.user(userId), 'state')) ?? 'null');
  } finally {
    redis.disconnect();
  }
}

class ManualClock {
  constructor(private ms = Date.parse('2026-03-02T08:00:00.000Z')) {}
  now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

describe('timers across a daemon restart', () => {
  const running: TestDaemon[] = [];
  afterEach(async () => {
    for (const d of running.splice(0).reverse()) await d.stop();
  });

  const start = async (
    prefix: string,
    options: { clock?: () => Date; config?: Record<string, unknown> } = {},
  ) => {
    const d = await startTestDaemon({ redisUrl: inject('redisUrl'), prefix, ...options });
    running.push(d);
    return d;
  };
  const stop = async (d: TestDaemon) => {
    running.splice(running.indexOf(d), 1);
    await d.stop();
  };
  const delayed = async (d: TestDaemon) => (await d.daemon.parts!.timers.counts()).delayed ?? 0;

  it('a wrap-up that ends while no daemon runs applies the upcoming status when a new daemon starts', async () => {
    const prefix = uniquePrefix('timers');
    const first = await start(prefix);
    // A 2-second wrap-up: long enough to stop the daemon before it ends, short enough to wait for for real.
    await first.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana', wrapUpSeconds: 2 });
    await first.request('agent', 'POST', '/v1/users/u1/shift', {});
    await first.request('integration', 'POST', '/v1/users/u1/activities', { id: 'call-1', kind: 'call' });
    expect(
      (await first.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status,
    ).toBe(202);
    const ended = await first.request('integration', 'DELETE', '/v1/users/u1/activities/call-1');
    const until = Date.parse(ended.body.user.wrapUp.until);
    await waitFor(async () => (await delayed(first)) > 0, { what: 'wrap-up timer scheduled' });
    await stop(first);
    expect(Date.now(), 'the daemon stopped before the timer was due').toBeLessThan(until);

    // The stopped daemon did not apply it: Redis still holds the wrap-up and the upcoming status.
    expect(await storedState(prefix, 'u1')).toMatchObject({
      status: { id: 'active' },
      upcoming: { id: 'on-break' },
      wrapUp: { activityId: 'call-1' },
    });

    const second = await start(prefix);
    const after = await waitFor(
      async () => {
        const user = (await second.request('admin', 'GET', '/v1/users/u1')).body;
        return user.status.id === 'on-break' ? user : null;
      },
      { timeoutMs: 10_000, what: 'the wrap-up timer fired on the new daemon' },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(after).toMatchObject({
      status: { id: 'on-break', cause: 'deferred' },
      upcoming: null,
      wrapUp: null,
    });
    const history = (await second.request('admin', 'GET', '/v1/users/u1/history')).body.items;
    expect(history[0]).toMatchObject({ statusId: 'on-break', cause: 'deferred', to: null });
  });

  it('a connection-loss timer due while no daemon ran fires on the next daemon (injected clock)', async () => {
    const prefix = uniquePrefix('timers');
    const clock = new ManualClock();
    // No automatic shift end here: only the connection timer is to be counted.
    const config = {
      status: { connectionTimeoutSeconds: 90, shift: { maxHours: null, endAfterOfflineMinutes: null } },
    };
    const first = await start(prefix, { clock: clock.now, config });
    await first.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    await first.request('agent', 'POST', '/v1/users/u1/shift', {});
    expect((await first.request('agent', 'POST', '/v1/users/u1/heartbeat')).status).toBe(204);
    await waitFor(async () => (await delayed(first)) > 0, { what: 'connection timer scheduled' });
    await stop(first);

    // 90 s of silence pass while no daemon runs; a new daemon starts on the same prefix.
    clock.advance(91);
    // Due on the daemons' clock: the new daemon's first sweep fires it, with nothing promoted.
    const second = await start(prefix, { clock: clock.now, config });
    const lost = await waitFor(
      async () => {
        const user = (await second.request('admin', 'GET', '/v1/users/u1')).body;
        return user.connection.state === 'lost' ? user : null;
      },
      { what: 'connection-loss timer fired on the new daemon' },
    );
    expect(lost).toMatchObject({
      status: { id: 'offline', cause: 'connection-lost' },
      shift: { id: expect.any(String) },
    });
    expect(await delayed(second)).toBe(0);
  });
});
