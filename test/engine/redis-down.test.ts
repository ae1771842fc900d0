/**
 * Redis going away and coming back (API.md "Conventions": when Redis is unreachable, /v1 answers 503 NOT_READY
 * promptly, no hanging requests). The daemon runs on its own private redis-server with AOF on, which the test
 * stops and restarts on the same port; the daemon must heal without a restart and keep its data.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { TestRedis } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';

/** The redis-server's own pid (TestRedis does not expose its child process). */
async function redisPid(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const info = await client.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  } finally {
    client.disconnect();
  }
}

const PROMPT_MS = 2_000;
const RECOVER_MS = 5_000;
/** How long Redis stays away: longer than the reconnect backoff's 2 s cap. */
const OUTAGE_MS = 3_000;

describe('Redis down and back', () => {
  let redis: TestRedis;
  let d: TestDaemon;
  /** pid of a redis-server the test froze with SIGSTOP (thawed in afterEach whatever happened). */
  let frozen: number | undefined;

  beforeEach(async () => {
    redis = await new TestRedis({ appendOnly: true, extraArgs: ['--appendfsync', 'always'] }).start();
    d = await startTestDaemon({ redisUrl: redis.url, config: { redis: { commandTimeoutMs: 500 } } });
  });
  afterEach(async () => {
    if (frozen) process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    // The daemon stops cleanly only with Redis there (BullMQ closes its queues); then Redis goes for good.
    await redis?.start();
    await d?.stop();
    await redis?.destroy();
  });

  /** A request over the real socket that is given up after `ms`: a hang shows as status 0. */
  const timed = async (path: string, init: RequestInit = {}, ms = PROMPT_MS + 3_000) => {
    const started = performance.now();
    try {
      const response = await fetch(d.url + path, { ...init, signal: AbortSignal.timeout(ms) });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? JSON.parse(text) : undefined,
        ms: performance.now() - started,
      };
    } catch {
      return { status: 0, body: undefined, ms: performance.now() - started };
    }
  };
  const auth = { authorization: `Bearer ${KEYS.admin}` };
  const json = { ...auth, 'content-type': 'application/json' };

  it('answers 503 NOT_READY at once while Redis is down, and recovers when it is back', async () => {
    expect(
      (await timed('/v1/users/u1', { method: 'PUT', headers: json, body: '{"displayName":"Dana"}' })).status,
    ).toBe(201);
    expect(
      (await timed('/v1/users/u1/status', { method: 'PUT', headers: json, body: '{"statusId":"on-break"}' }))
        .status,
    ).toBe(200);
    expect((await timed('/health/ready')).status).toBe(200);

    await redis.stop();
    const stoppedAt = performance.now();

    // Every kind of /v1 request: a read, a write, a list. None hangs.
    const probes: Array<[string, RequestInit]> = [
      ['/v1/status-types', { headers: auth }],
      ['/v1/users/u1', { headers: auth }],
      ['/v1/users', { headers: auth }],
      ['/v1/users/u1/status', { method: 'PUT', headers: json, body: '{"statusId":"active"}' }],
      ['/v1/status-types', { method: 'POST', headers: json, body: '{"name":"Lunch","color":"#101010"}' }],
    ];
    // Probed round after round for OUTAGE_MS, so the clients' reconnect backoff reaches its cap before Redis
    // returns (a short blip would make the recovery below look faster than it is).
    const timings: number[] = [];
    while (performance.now() - stoppedAt < OUTAGE_MS) {
      for (const [path, init] of probes) {
        const r = await timed(path, init);
        expect(r.status, `${init.method ?? 'GET'} ${path} (${Math.round(r.ms)} ms)`).toBe(503);
        expect(r.body.error).toMatchObject({ code: 'NOT_READY', message: expect.any(String) });
        expect(r.ms).toBeLessThan(PROMPT_MS);
        timings.push(r.ms);
      }
    }
    const ready = await timed('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not-ready', checks: { redis: { ok: false } } });
    expect(ready.ms).toBeLessThan(PROMPT_MS);
    const live = await timed('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'live' });

    await redis.start();
    const restartedAt = performance.now();
    await waitFor(async () => (await timed('/health/ready', {}, 1_000)).status === 200, {
      timeoutMs: RECOVER_MS,
      intervalMs: 50,
      what: '/health/ready 200 after Redis came back',
    });
    const readyAfterMs = performance.now() - restartedAt;

    // Data survived (AOF), and the command path works again: scripts are reloaded, the catalog is there.
    const user = await timed('/v1/users/u1', { headers: auth });
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ status: { id: 'on-break' }, version: 2 });
    const changed = await timed('/v1/users/u1/status', {
      method: 'PUT',
      headers: json,
      body: '{"statusId":"active"}',
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.user).toMatchObject({ status: { id: 'active' }, version: 3 });
    const created = await timed('/v1/status-types', {
      method: 'POST',
      headers: json,
      body: '{"name":"Lunch","color":"#101010"}',
    });
    expect(created.status).toBe(201);
    expect(
      (await timed('/v1/users/u1/status', { method: 'PUT', headers: json, body: '{"statusId":"lunch"}' }))
        .status,
    ).toBe(200);

    // Durable timers work again too: a 1-second wrap-up ends by itself and applies the status picked during the
    // call. (This also lets BullMQ's own connections finish reconnecting before afterEach stops the daemon; see the
    // report: Worker.close() hangs if called while they are still reconnecting.)
    const timerStarted = performance.now();
    const calls = (method: string, path: string, body?: string) =>
      timed(path, { method, headers: body ? json : auth, ...(body ? { body } : {}) });
    expect((await calls('PUT', '/v1/users/u1', '{"displayName":"Dana","wrapUpSeconds":1}')).status).toBe(200);
    expect((await calls('POST', '/v1/users/u1/activities', '{"id":"call-1","kind":"call"}')).status).toBe(
      201,
    );
    expect((await calls('PUT', '/v1/users/u1/status', '{"statusId":"idle"}')).status).toBe(202);
    expect((await calls('DELETE', '/v1/users/u1/activities/call-1')).status).toBe(200);
    const deferred = await waitFor(
      async () => {
        const u = (await calls('GET', '/v1/users/u1')).body;
        return u.status.id === 'idle' ? u : null;
      },
      { timeoutMs: RECOVER_MS, what: 'the wrap-up timer fired after Redis came back' },
    );
    expect(deferred.status.cause).toBe('deferred');
    const timerMs = performance.now() - timerStarted;

    console.log(
      `redis-down: ${timings.length} requests 503 NOT_READY in ${Math.round(Math.min(...timings))}..${Math.round(Math.max(...timings))} ms ` +
        `(/health/ready 503 in ${Math.round(ready.ms)} ms); down ${Math.round(restartedAt - stoppedAt)} ms; ` +
        `ready again ${Math.round(readyAfterMs)} ms after Redis restarted; a 1 s timer fired ${Math.round(timerMs)} ms after being set`,
    );
  });

  it('answers 503 NOT_READY within the command timeout while Redis hangs (SIGSTOP), and recovers', async () => {
    expect(
      (await timed('/v1/users/u1', { method: 'PUT', headers: json, body: '{"displayName":"Dana"}' })).status,
    ).toBe(201);
    const pid = await redisPid(redis.url);
    process.kill(pid, 'SIGSTOP');
    frozen = pid;

    // The connection stays up, so only the command timeout (500 ms here) can tell: no request may hang.
    const timings: number[] = [];
    for (const [path, init] of [
      ['/v1/users/u1', { headers: auth }],
      ['/v1/users/u1/status', { method: 'PUT', headers: json, body: '{"statusId":"active"}' }],
      ['/v1/status-types', { headers: auth }],
    ] as Array<[string, RequestInit]>) {
      const r = await timed(path, init);
      expect(r.status, `${init.method ?? 'GET'} ${path} (${Math.round(r.ms)} ms)`).toBe(503);
      expect(r.body.error.code).toBe('NOT_READY');
      expect(r.ms).toBeLessThan(PROMPT_MS);
      timings.push(r.ms);
    }
    const ready = await timed('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(PROMPT_MS);
    expect((await timed('/health/live')).status).toBe(200);

    process.kill(pid, 'SIGCONT');
    frozen = undefined;
    await waitFor(async () => (await timed('/health/ready', {}, 1_000)).status === 200, {
      timeoutMs: RECOVER_MS,
      what: '/health/ready 200 after Redis resumed',
    });
    const changed = await timed('/v1/users/u1/status', {
      method: 'PUT',
      headers: json,
      body: '{"statusId":"idle"}',
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    // The change answered 503 timed out on its first read, so it never reached the commit: nothing changed then.
    expect(changed.body.user).toMatchObject({ status: { id: 'idle' }, version: 2 });
    console.log(
      `redis-hung: 503 NOT_READY in ${Math.round(Math.min(...timings))}..${Math.round(Math.max(...timings))} ms ` +
        `(command timeout 500 ms; /health/ready 503 in ${Math.round(ready.ms)} ms)`,
    );
  });
});
