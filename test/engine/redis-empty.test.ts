/**
 * Redis restarts without persistence and comes back empty (issue 13): the daemon notices the missing seed marker,
 * seeds the built-in status types again and serves status changes; a status type the configuration names that
 * was lost with the data keeps /health/ready "not-ready" with the reason until an admin creates it again.
 * A real redis-server, stopped and started on the same port (no AOF, no RDB).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { TestRedis } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';

describe('Redis came back empty', () => {
  let redis: TestRedis | undefined;
  let d: TestDaemon | undefined;
  afterEach(async () => {
    await d?.stop();
    await redis?.destroy();
    d = undefined;
    redis = undefined;
  });

  const ready = async () => {
    const res = await d!.app.inject({ method: 'GET', url: '/health/ready' });
    return { status: res.statusCode, body: res.json() };
  };
  const ids = async () =>
    ((await d!.request('admin', 'GET', '/v1/status-types')).body as Array<{ id: string }>)?.map?.(
      (t) => t.id,
    );
  const restartEmpty = async () => {
    await redis!.stop();
    await redis!.start();
  };

  it('seeds the built-ins again and is ready to change statuses', async () => {
    redis = await new TestRedis().start();
    d = await startTestDaemon({ redisUrl: redis.url, config: { redis: { commandTimeoutMs: 500 } } });
    expect((await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' })).status).toBe(201);
    await restartEmpty();
    await waitFor(async () => (await ready()).status === 200 && (await ids())?.length === 4, {
      timeoutMs: 15_000,
      what: 'ready with the built-ins again',
    });
    expect(await ids()).toEqual(['active', 'idle', 'on-break', 'offline']);
    expect((await ready()).body.checks.catalog).toEqual({ ok: true });
    // The users are gone with the data (nothing can bring them back), but the API works again.
    expect((await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' })).status).toBe(201);
    expect((await d.request('admin', 'PUT', '/v1/users/u1/status', { statusId: 'active' })).status).toBe(200);
  });

  it('applies the configuration’s catalogue (statusTypes:) again with the built-ins', async () => {
    redis = await new TestRedis().start();
    const coaching = { id: 'coaching', name: 'Coaching', color: '#3366FF' };
    d = await startTestDaemon({
      redisUrl: redis.url,
      config: {
        redis: { commandTimeoutMs: 500 },
        statusTypes: [coaching],
        status: { missedOffers: { threshold: 3, statusId: 'coaching' } },
      },
    });
    expect(await ids()).toContain('coaching');
    await restartEmpty();
    await waitFor(async () => (await ready()).status === 200 && (await ids())?.includes('coaching'), {
      timeoutMs: 15_000,
      what: 'ready with the configured type again',
    });
    expect((await ready()).body.checks.catalog).toEqual({ ok: true });
    expect((await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' })).status).toBe(201);
    expect((await d.request('admin', 'PUT', '/v1/users/u1/status', { statusId: 'coaching' })).status).toBe(
      200,
    );
  });

  it('is not ready, with the reason, while a type the configuration names is missing', async () => {
    redis = await new TestRedis().start();
    const lunch = { id: 'lunch', name: 'Lunch', color: '#123456' };
    const setup = await startTestDaemon({ redisUrl: redis.url });
    const prefix = setup.config.redis.keyPrefix;
    expect((await setup.request('admin', 'POST', '/v1/status-types', lunch)).status).toBe(201);
    await setup.stop();
    d = await startTestDaemon({
      redisUrl: redis.url,
      prefix,
      config: {
        redis: { commandTimeoutMs: 500 },
        status: { missedOffers: { threshold: 3, statusId: 'lunch' } },
      },
    });
    expect((await ready()).status).toBe(200);
    await restartEmpty();
    const notReady = await waitFor(
      async () => {
        const r = await ready();
        return r.status === 503 && r.body.checks.redis.ok && !r.body.checks.catalog.ok ? r : null;
      },
      { timeoutMs: 15_000, what: 'not ready for the missing type' },
    );
    expect(notReady.body.status).toBe('not-ready');
    expect(notReady.body.checks.catalog).toMatchObject({
      reason: expect.any(String),
      missing: [{ field: 'status.missedOffers.statusId', statusId: 'lunch' }],
    });
    expect(await ids()).toEqual(['active', 'idle', 'on-break', 'offline']);
    expect((await d.request('admin', 'POST', '/v1/status-types', lunch)).status).toBe(201);
    await waitFor(async () => (await ready()).status === 200, { what: 'ready again' });
  });
});
