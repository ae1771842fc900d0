/**
 * The SSE stream's life around the hub: heartbeats, subscriber clean-up, shutdown that does not hang, and a Redis
 * restart under an open stream. The app is built around one EventHub so the test can set a short heartbeat and
 * look at the hub; entries are appended to the partition streams in the outbox format, as commits do.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { EventHub } from '../../src/bridge/events/event-hub.js';
import type { SessionOptions } from '../../src/bridge/events/event-session.js';
import { Health } from '../../src/bridge/health.js';
import { buildApp } from '../../src/bridge/http/app.js';
import { KeyRing } from '../../src/bridge/http/auth.js';
import { eventRoutes } from '../../src/bridge/http/routes/events.js';
import { createLogger } from '../../src/bridge/logger.js';
import { createMetrics } from '../../src/bridge/metrics.js';
import { createBlockingClient, createCommandClient } from '../../src/bridge/redis/connection.js';
import { Keys } from '../../src/bridge/redis/keys.js';
import { KEYS, startTestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { TestRedis } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import { SseClient } from './sse-client.js';

interface Harness {
  app: FastifyInstance;
  hub: EventHub;
  redis: Redis;
  keys: Keys;
  url: string;
  append(userId: string, type: string, data?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function startHarness(
  redisUrl: string,
  session: Partial<SessionOptions> = {},
  log: Logger = createLogger('silent'),
): Promise<Harness> {
  const keys = new Keys(uniquePrefix('ev'), 4);
  const conn = { url: redisUrl, commandTimeoutMs: 2_000, connectTimeoutMs: 2_000 };
  const redis = createCommandClient(conn, log);
  await redis.connect();
  const hub = new EventHub(createBlockingClient(conn, log, 'event-hub'), redis, keys, log, { blockMs: 500 });
  await hub.start();
  const app = await buildApp({
    log,
    redis,
    keyRing: new KeyRing([{ name: 'admin', role: 'admin', key: KEYS.admin }]),
    health: new Health(redis),
    metrics: createMetrics(),
    v1: [eventRoutes({ feed: hub, session })],
    docs: false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const close = async () => {
    await app.close();
    await hub.stop();
    redis.disconnect();
  };
  cleanups.push(close);
  const append = (userId: string, type: string, data: Record<string, unknown> = {}) =>
    redis.xadd(
      keys.events(keys.partitionOf(userId)),
      '*',
      'type',
      type,
      'user',
      userId,
      'data',
      JSON.stringify({ at: new Date().toISOString(), ...data }),
    ) as Promise<string>;
  return { app, hub, redis, keys, url: `http://127.0.0.1:${port}/v1/events`, append, close };
}

/** Two user ids in different partitions. */
function usersInDistinctPartitions(keys: Keys, count: number): string[] {
  const found = new Map<number, string>();
  for (let n = 0; found.size < count; n++)
    if (!found.has(keys.partitionOf(`u${n}`))) found.set(keys.partitionOf(`u${n}`), `u${n}`);
  return [...found.values()];
}

async function connect(url: string): Promise<SseClient> {
  const client = await SseClient.connect(url, { key: KEYS.admin });
  cleanups.push(async () => client.close());
  return client;
}

/** Resolves with the promise's value, or rejects when it takes longer than `ms`. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)),
  ]);
}

describe('heartbeat and clean-up', () => {
  it('sends a ": ping" comment at the heartbeat interval', async () => {
    const h = await startHarness(inject('redisUrl'), { heartbeatMs: 40 });
    const sse = await connect(h.url);
    await waitFor(() => sse.comments.filter((c) => c === 'ping').length >= 3, { what: 'three pings' });
    expect(sse.events).toEqual([]);
  });

  it('drops the subscriber when the client goes away', async () => {
    const h = await startHarness(inject('redisUrl'));
    const sse = await connect(h.url);
    await h.append('u1', 'user.connection.changed', { state: 'online', lastSeen: null });
    await sse.next((e) => e.event === 'user.connection.changed');
    expect(h.hub.subscriberCount).toBe(1);
    sse.close();
    await waitFor(() => h.hub.subscriberCount === 0, { what: 'the subscriber to be removed' });
  });
});

describe('reading only while someone listens', () => {
  it('does not read without clients; a new client starts at the tail, a resume replays the idle spell', async () => {
    const h = await startHarness(inject('redisUrl'));
    await h.append('u1', 'user.shift.started', { n: 1 }); // before anyone listens
    expect(h.hub.reading).toBe(false);
    const first = await connect(h.url);
    expect(h.hub.reading).toBe(true);
    await h.append('u1', 'user.shift.started', { n: 2 });
    const two = await first.next((e) => e.json.n === 2);
    first.close();
    await waitFor(() => !h.hub.reading, { what: 'the hub to stop reading' });

    await h.append('u1', 'user.shift.started', { n: 3 }); // nobody listens
    const fresh = await connect(h.url);
    const resumed = await SseClient.connect(h.url, { key: KEYS.admin, lastEventId: two.id ?? '' });
    cleanups.push(async () => resumed.close());
    await h.append('u1', 'user.shift.started', { n: 4 });
    await fresh.next((e) => e.json.n === 4);
    await resumed.next((e) => e.json.n === 4);
    expect(first.events.map((e) => e.json.n)).toEqual([2]);
    expect(fresh.events.map((e) => e.json.n)).toEqual([4]);
    expect(resumed.events.map((e) => e.json.n)).toEqual([3, 4]);
  });
});

describe('shutdown', () => {
  it('closing the app ends open streams instead of waiting for them', async () => {
    const h = await startHarness(inject('redisUrl'));
    const sse = await connect(h.url);
    await waitFor(() => h.hub.subscriberCount === 1);
    await within(3_000, h.app.close(), 'app.close()');
    await waitFor(() => sse.ended, { what: 'the stream to end' });
  });

  it('stopping the hub ends open streams', async () => {
    const h = await startHarness(inject('redisUrl'));
    const sse = await connect(h.url);
    await waitFor(() => h.hub.subscriberCount === 1);
    await within(3_000, h.hub.stop(), 'hub.stop()');
    await waitFor(() => sse.ended, { what: 'the stream to end' });
  });

  it('the daemon stops promptly with a client connected', async () => {
    const d = await startTestDaemon({ redisUrl: inject('redisUrl') });
    cleanups.push(() => d.stop());
    const sse = await connect(`${d.url}/v1/events`);
    expect(sse.status).toBe(200);
    await within(5_000, d.stop(), 'daemon.stop()');
    await waitFor(() => sse.ended, { what: 'the stream to end' });
  });
});

describe('redis trouble', () => {
  it('keeps the stream open and delivers again once Redis is back', async () => {
    const server = await new TestRedis().start();
    cleanups.push(() => server.destroy());
    const h = await startHarness(server.url);
    const sse = await connect(h.url);
    await waitFor(() => h.hub.subscriberCount === 1);
    await h.append('u1', 'user.shift.started', { n: 1 });
    await sse.next((e) => e.json.n === 1);

    await server.stop();
    await server.start(); // same port, empty data: streams start over with newer ids
    await waitFor(() => h.redis.status === 'ready', {
      what: 'the command client to reconnect',
      timeoutMs: 10_000,
    });
    await h.append('u1', 'user.shift.started', { n: 2 });
    await h.append('u2', 'user.shift.started', { n: 3 });
    await sse.count(3);
    expect(sse.ended).toBe(false);
    // Two partitions: their order relative to each other within one read is not part of the contract.
    expect(sse.events.map((e) => e.json.n).sort()).toEqual([1, 2, 3]);
  }, 30_000);

  it('keeps reading after Redis refuses a read', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const h = await startHarness(inject('redisUrl'), {}, log);
    const sse = await connect(h.url);
    await waitFor(() => h.hub.subscriberCount === 1);
    const [broken, healthy] = usersInDistinctPartitions(h.keys, 2) as [string, string];
    // A key of the wrong type makes the next XREAD over the partition streams fail with WRONGTYPE.
    await h.redis.set(h.keys.events(h.keys.partitionOf(broken)), 'not a stream');
    await h.append(healthy, 'user.shift.started', { n: 1 }); // wakes the blocked read; the next one fails
    await sse.next((e) => e.json.n === 1);
    await waitFor(() => lines.some((l) => l.includes('event stream read failed')), { what: 'a failed read' });
    await h.redis.del(h.keys.events(h.keys.partitionOf(broken)));
    await h.append(broken, 'user.shift.started', { n: 2 });
    await sse.next((e) => e.json.n === 2, 'the event after the failed reads');
  });
});
