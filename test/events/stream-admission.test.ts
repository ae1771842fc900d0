/**
 * GET /v1/events against the real daemon: limits on open streams (429 TOO_MANY_STREAMS with Retry-After), what an
 * agent's cursor shows, the agent's resume from its own index, and a cursor from the future.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeCursor } from '../../src/bridge/events/sse-cursor.js';
import { StreamLimits } from '../../src/bridge/events/stream-limits.js';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { createUser, keysOf, setStatus, statusChange } from './helpers.js';
import { SseClient } from './sse-client.js';

let d: TestDaemon;
const clients: SseClient[] = [];

async function connect(key: string, options: { lastEventId?: string } = {}): Promise<SseClient> {
  const client = await SseClient.connect(`${d.url}/v1/events`, { key, ...options });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  d = await startTestDaemon({
    redisUrl: inject('redisUrl'),
    config: { events: { maxSessionsPerKey: 2, maxSessions: 4, retryAfterSeconds: 7 } },
  });
  for (const id of ['u1', 'u2']) await createUser(d, id);
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  await d?.stop();
});

describe('admission', () => {
  it('refuses a stream over the per-key limit with 429 TOO_MANY_STREAMS and Retry-After, then admits again', async () => {
    const a = await connect(KEYS.supervisor);
    await connect(KEYS.supervisor);
    const third = await connect(KEYS.supervisor);
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('7');
    await waitFor(() => third.ended, { what: 'the refused response to end' });
    expect(JSON.parse(third.body)).toMatchObject({
      error: { code: 'TOO_MANY_STREAMS', details: { limit: 'sessions-per-key' } },
    });
    // Another key is not affected.
    expect((await connect(KEYS.admin)).status).toBe(200);
    a.close();
    await waitFor(
      async () => {
        const again = await connect(KEYS.supervisor);
        return again.status === 200;
      },
      { what: 'a slot to free up' },
    );
    const metrics = await d.request(null, 'GET', '/metrics');
    expect(metrics.body).toMatch(/pb_sse_refused_total\{limit="sessions-per-key"\} [1-9]/);
    expect(metrics.body).toMatch(/pb_sse_sessions \d/);
  });

  it('counts streams and replays per key and in total', () => {
    const limits = new StreamLimits({
      maxSessions: 3,
      maxSessionsPerKey: 2,
      maxReplays: 1,
      maxReplaysPerKey: 1,
    });
    const a1 = limits.openSession('a');
    limits.openSession('a');
    expect(limits.openSession('a')).toBe('sessions-per-key');
    limits.openSession('b');
    expect(limits.openSession('c')).toBe('sessions');
    if (typeof a1 !== 'string') {
      a1.release();
      a1.release(); // idempotent
    }
    expect(limits.openSessions).toBe(2);
    expect(typeof limits.openSession('c')).toBe('object');
    const r = limits.startReplay('a');
    expect(limits.startReplay('b')).toBe('replays');
    if (typeof r !== 'string') r.release();
    expect(typeof limits.startReplay('b')).toBe('object');
  });
});

describe("an agent's stream", () => {
  it('carries a cursor that shows nothing of other partitions, and resumes from its own events', async () => {
    const keys = keysOf(d);
    const mine = keys.partitionOf('u1');
    const others = Array.from({ length: 40 }, (_, n) => `ag-${n}`).filter(
      (id) => keys.partitionOf(id) !== mine && keys.partitionOf(id) !== 0,
    );
    const other = others[0] as string;
    await createUser(d, other);
    const agent = await connect(KEYS.agent);
    await setStatus(d, other, 'active');
    await setStatus(d, 'u1', 'active');
    const seen = await agent.next(statusChange('u1', 'active'));
    const cursor = decodeCursor(seen.id as string, keys.partitions) as string[];
    cursor.forEach((id, p) => {
      if (p !== mine && p !== 0) expect(id).toBe('0-0');
    });
    expect(agent.events.some((e) => e.json.userId === other)).toBe(false);
    agent.close();

    // Resuming from the very beginning replays the agent's own changes only (read from its index).
    await setStatus(d, other, 'idle');
    await setStatus(d, 'u1', 'idle');
    const fromZero = `v1:${Array.from({ length: keys.partitions }, () => '0').join('.')}`;
    const resumed = await connect(KEYS.agent, { lastEventId: fromZero });
    await resumed.next(statusChange('u1', 'idle'));
    const changes = resumed.ofType('user.status.changed').map((e) => [e.json.userId, e.json.to]);
    expect(changes).toEqual([
      ['u1', 'active'],
      ['u1', 'idle'],
    ]);
    const resumedAfter = await connect(KEYS.agent, { lastEventId: seen.id as string });
    await resumedAfter.next(statusChange('u1', 'idle'));
    expect(resumedAfter.ofType('user.status.changed').map((e) => e.json.to)).toEqual(['idle']);
  });

  it("indexes the user's own entries beside the outbox, trimmed with the partition's window", async () => {
    const keys = keysOf(d);
    const redis = new Redis(inject('redisUrl'));
    try {
      await createUser(d, 'ix-1');
      for (const status of ['active', 'idle', 'active']) await setStatus(d, 'ix-1', status);
      const stream = keys.events(keys.partitionOf('ix-1'));
      const indexed = await redis.zrange(keys.userEvents('ix-1'), 0, -1);
      const own = (await redis.xrange(stream, '-', '+')).filter(
        ([, f]) => f[3] === 'ix-1' && String(f[1]).startsWith('user.'),
      );
      expect([...indexed].sort()).toEqual(own.map(([id]) => id).sort());
      // Once the window has moved past them, the next commit drops them from the index too.
      const last = own[own.length - 1]?.[0] as string;
      await redis.xtrim(stream, 'MINID', '=', `${Number(last.split('-')[0]) + 1}-0`);
      await setStatus(d, 'ix-1', 'idle');
      const left = await redis.zrange(keys.userEvents('ix-1'), 0, -1);
      expect(left.length).toBeGreaterThan(0);
      expect(left.every((id) => !indexed.includes(id))).toBe(true);
      // Deleting the user deletes its index.
      expect((await d.request('admin', 'DELETE', '/v1/users/ix-1')).status).toBeLessThan(300);
      expect(await redis.exists(keys.userEvents('ix-1'))).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('answers a cursor from the future with cursor-invalid, then delivers live events', async () => {
    const keys = keysOf(d);
    const future = `v1:${Array.from({ length: keys.partitions }, () => 'zzzzzzzz').join('.')}`;
    const sse = await connect(KEYS.admin, { lastEventId: future });
    await sse.next((e) => e.event === 'resync-required');
    expect(sse.events[0]?.json).toEqual({ type: 'resync-required', reason: 'cursor-invalid' });
    await setStatus(d, 'u2', 'on-break');
    await sse.next(statusChange('u2', 'on-break'));
  });
});
