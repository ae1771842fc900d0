/** GET /v1/events over a real socket against the real daemon: delivery, filters, roles, resume, retention. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { SseClient, type SseEvent } from './sse-client.js';
import { createUser, keysOf, setStatus, settle, statusChange, usersInDistinctPartitions } from './helpers.js';

let d: TestDaemon;
let redis: Redis;
const clients: SseClient[] = [];

async function connect(
  query = '',
  options: Parameters<typeof SseClient.connect>[1] = {},
): Promise<SseClient> {
  const client = await SseClient.connect(`${d.url}/v1/events${query}`, { key: KEYS.admin, ...options });
  clients.push(client);
  return client;
}

/** Creating a type only refreshes caches; an update is what emits status-type.changed. */
async function renameStatusType(id: string): Promise<void> {
  await d.request('admin', 'POST', '/v1/status-types', { id, name: id, color: '#123456' });
  const res = await d.request('admin', 'PATCH', `/v1/status-types/${id}`, { name: `${id} renamed` });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  redis = new Redis(inject('redisUrl'));
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  redis?.disconnect();
  await d?.stop();
});

describe('delivery', () => {
  it('streams status and upcoming changes made through the API, with SSE headers and a retry hint', async () => {
    const sse = await connect();
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.headers['cache-control']).toBe('no-cache');
    expect(sse.headers['x-accel-buffering']).toBe('no');

    await createUser(d, 'dl-1');
    await setStatus(d, 'dl-1', 'active');
    const changed = await sse.next(statusChange('dl-1', 'active'));
    expect(changed.json).toMatchObject({ type: 'user.status.changed', userId: 'dl-1', from: 'offline' });
    expect(Date.parse(changed.json.at)).not.toBeNaN();
    expect(changed.json.span).toMatchObject({ statusId: 'offline' });
    expect(changed.id).toMatch(/^v1:/);

    await d.request('integration', 'POST', '/v1/users/dl-1/activities', { id: 'call-1', kind: 'call' });
    expect(
      (await d.request('supervisor', 'PUT', '/v1/users/dl-1/status', { statusId: 'on-break' })).status,
    ).toBe(202);
    const upcoming = await sse.next((e) => e.event === 'user.upcoming.changed');
    expect(upcoming.json).toMatchObject({ userId: 'dl-1', reason: 'SET', upcoming: { id: 'on-break' } });
    expect(sse.retry).toBe(3000);
  });

  it('never sends internal entries (timer requests) or directory changes', async () => {
    const sse = await connect();
    await createUser(d, 'dl-2');
    await setStatus(d, 'dl-2', 'on-break'); // commits a timer request for the overage timer too
    await sse.next(statusChange('dl-2', 'on-break'));
    const p = keysOf(d).partitionOf('dl-2');
    const raw = await redis.xrange(keysOf(d).events(p), '-', '+');
    const types = raw.map(([, fields]) => fields[1]);
    expect(types).toEqual(expect.arrayContaining(['user.directory.changed']));
    // The overage timer went to the partition's timer set with the commit, not into the stream.
    expect(types).not.toContain('timer.requested');
    expect(await redis.zcard(keysOf(d).timers(p))).toBeGreaterThan(0);
    // An entry an older version wrote (a timer request) is never sent either.
    await redis.xadd(keysOf(d).events(p), '*', 'type', 'timer.requested', 'user', 'dl-2', 'data', '{}');
    await setStatus(d, 'dl-2', 'active');
    await sse.next(statusChange('dl-2', 'active'));
    expect(sse.events.map((e) => e.event)).not.toContain('timer.requested');
    expect(sse.events.map((e) => e.event)).not.toContain('user.directory.changed');
  });

  it('answers 401 without a key', async () => {
    const res = await d.request(null, 'GET', '/v1/events');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    const sse = await connect('', { key: 'not-a-known-key-0123456789' });
    expect(sse.status).toBe(401);
  });
});

describe('filters', () => {
  it('?users= keeps only those users, plus events not about a user', async () => {
    const [wanted, other] = usersInDistinctPartitions(d, 'fl', 2) as [string, string];
    await createUser(d, wanted);
    await createUser(d, other);
    const witness = await connect();
    const filtered = await connect(`?users=${wanted},nobody`);

    await setStatus(d, other, 'active');
    await setStatus(d, wanted, 'active');
    await renameStatusType('filter-test');
    await filtered.next((e) => e.event === 'status-type.changed' && e.json.change === 'updated');
    await settle(witness, statusChange(other, 'active'), filtered, async () => {
      await setStatus(d, wanted, 'idle');
      return statusChange(wanted, 'idle');
    });

    expect(filtered.events.some((e) => e.json.userId === other)).toBe(false);
    expect(filtered.events.some(statusChange(wanted, 'active'))).toBe(true);
    expect(filtered.ofType('status-type.changed').map((e) => e.json)).toMatchObject([
      { userId: null, id: 'filter-test', change: 'created' },
      { userId: null, id: 'filter-test', change: 'updated' },
    ]);
  });

  it("an agent key sees only its own user's events and catalog changes, whatever ?users= says", async () => {
    await createUser(d, 'u1');
    await createUser(d, 'u2');
    const witness = await connect();
    const agent = await connect('?users=u2', { key: KEYS.agent });

    await setStatus(d, 'u2', 'active');
    await renameStatusType('agent-test');
    await agent.next((e) => e.event === 'status-type.changed' && e.json.change === 'updated');
    await settle(witness, statusChange('u2', 'active'), agent, async () => {
      await setStatus(d, 'u1', 'active');
      return statusChange('u1', 'active');
    });

    expect(agent.events.filter((e) => e.json.userId !== 'u1').map((e) => e.event)).toEqual([
      'status-type.changed', // created
      'status-type.changed', // updated
    ]);
  });
});

describe('resume', () => {
  /** Event payloads carry their own time, so equal data means the same event. */
  const payloads = (events: SseEvent[]) => events.map((e) => e.data);

  it('Last-Event-ID resumes every partition exactly where it stopped, then goes live', async () => {
    const users = usersInDistinctPartitions(d, 'rs', 3);
    const [x, y, z] = users as [string, string, string];
    expect(new Set(users.map((u) => keysOf(d).partitionOf(u))).size).toBe(3);
    for (const u of users) await createUser(d, u);
    const witness = await connect();
    const first = await connect();

    await setStatus(d, x, 'active');
    await setStatus(d, y, 'active');
    const lastSeen = await first.next(statusChange(y, 'active'));
    await witness.next(statusChange(y, 'active'));
    first.close();

    for (const [user, status] of [
      [z, 'active'],
      [x, 'idle'],
      [y, 'on-break'],
      [z, 'idle'],
      [x, 'on-break'],
    ])
      await setStatus(d, user as string, status as string);
    await witness.next(statusChange(x, 'on-break'));
    const missed = witness.events.slice(witness.events.findIndex((e) => e.data === lastSeen.data) + 1);
    expect(missed.filter((e) => e.event === 'user.status.changed')).toHaveLength(5);

    const resumed = await connect('', { lastEventId: lastSeen.id as string });
    await resumed.count(missed.length);
    await setStatus(d, y, 'active');
    await resumed.next(statusChange(y, 'active'));

    expect(resumed.events).toHaveLength(missed.length + 1);
    expect([...payloads(resumed.events.slice(0, -1))].sort()).toEqual([...payloads(missed)].sort());
    for (const user of users) {
      const of = (events: SseEvent[]) => payloads(events.filter((e) => e.json.userId === user));
      expect(of(resumed.events.slice(0, -1))).toEqual(of(missed));
    }
  });

  it('accepts the cursor as ?lastEventId= for EventSource polyfills', async () => {
    await createUser(d, 'rq-1');
    const first = await connect();
    await setStatus(d, 'rq-1', 'active');
    const seen = await first.next(statusChange('rq-1', 'active'));
    first.close();
    await setStatus(d, 'rq-1', 'idle');

    const resumed = await connect(`?lastEventId=${encodeURIComponent(seen.id as string)}`);
    await resumed.next(statusChange('rq-1', 'idle'));
    expect(resumed.events.some(statusChange('rq-1', 'active'))).toBe(false);
  });

  it('a cursor older than the retained window gets resync-required, then what is retained', async () => {
    await createUser(d, 'rt-1');
    const first = await connect();
    await setStatus(d, 'rt-1', 'active');
    const seen = await first.next(statusChange('rt-1', 'active'));
    first.close();
    for (const status of ['idle', 'on-break', 'active']) await setStatus(d, 'rt-1', status);

    // Trim as MAXLEN would, but exactly: everything before the change to on-break is gone.
    const stream = keysOf(d).events(keysOf(d).partitionOf('rt-1'));
    const entries = await redis.xrange(stream, '-', '+');
    const cut = entries.find(([, f]) => f[1] === 'user.status.changed' && f[5]?.includes('"to":"on-break"'));
    await redis.xtrim(stream, 'MINID', '=', cut?.[0] as string);

    const resumed = await connect('', { lastEventId: seen.id as string });
    await resumed.next(statusChange('rt-1', 'active'));
    expect(resumed.events[0]).toMatchObject({ event: 'resync-required', id: undefined });
    expect(resumed.events[0]?.json).toEqual({ type: 'resync-required', reason: 'cursor-expired' });
    const changes = resumed.ofType('user.status.changed').map((e) => e.json.to);
    expect(changes).toEqual(['on-break', 'active']);
  });

  it('an unreadable cursor gets resync-required, then live events', async () => {
    await createUser(d, 'ri-1');
    const sse = await connect('', { lastEventId: 'v1:not-a-cursor' });
    await sse.next((e) => e.event === 'resync-required');
    await setStatus(d, 'ri-1', 'active');
    await sse.next(statusChange('ri-1', 'active'));
    expect(sse.events[0]?.json).toEqual({ type: 'resync-required', reason: 'cursor-invalid' });
  });
});
