/**
 * Server-Sent Events on a Redis Cluster: the event hub reads each partition stream on its own (no XREAD spans
 * slots), clients receive live events from every partition, and Last-Event-ID resumes every partition exactly.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, type TestDaemon } from '../harness/daemon.js';
import { SseClient, type SseEvent } from '../events/sse-client.js';
import { createUser, keysOf, setStatus, statusChange, usersInDistinctPartitions } from '../events/helpers.js';
import { startClusterDaemon } from './helpers.js';

describe('SSE on Redis Cluster', () => {
  let d: TestDaemon;
  const clients: SseClient[] = [];

  beforeEach(async () => {
    d = await startClusterDaemon();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await d?.stop();
  });

  const connect = async (lastEventId?: string) => {
    const client = await SseClient.connect(`${d.url}/v1/events`, {
      key: KEYS.admin,
      ...(lastEventId ? { lastEventId } : {}),
    });
    clients.push(client);
    expect(client.status).toBe(200);
    return client;
  };

  it('delivers live events from every partition promptly', async () => {
    const users = usersInDistinctPartitions(d, 'live', 8);
    for (const u of users) await createUser(d, u);
    const sse = await connect();
    const latencies: number[] = [];
    for (const u of users) {
      const started = Date.now();
      await setStatus(d, u, 'active');
      await sse.next(statusChange(u, 'active'), `${u} active`);
      latencies.push(Date.now() - started);
    }
    // The hub is woken by each commit's PUBLISH, not by its 1 s poll (which would make the median ~500 ms).
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(250);
  });

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

    const resumed = await connect(lastSeen.id as string);
    await resumed.count(missed.length);
    await setStatus(d, y, 'active');
    await resumed.next(statusChange(y, 'active'));

    const payloads = (events: SseEvent[]) => events.map((e) => e.data);
    expect(resumed.events).toHaveLength(missed.length + 1);
    expect([...payloads(resumed.events.slice(0, -1))].sort()).toEqual([...payloads(missed)].sort());
  });

  it("an agent resumes from its own index (a pipeline in its partition's slot)", async () => {
    await createUser(d, 'u1');
    await createUser(d, 'other-1');
    await setStatus(d, 'u1', 'active');
    await setStatus(d, 'other-1', 'active');
    await setStatus(d, 'u1', 'idle');
    const fromZero = `v1:${Array.from({ length: d.config.redis.partitions }, () => '0').join('.')}`;
    const agent = await SseClient.connect(`${d.url}/v1/events`, { key: KEYS.agent, lastEventId: fromZero });
    clients.push(agent);
    await agent.next(statusChange('u1', 'idle'));
    expect(agent.ofType('user.status.changed').map((e) => [e.json.userId, e.json.to])).toEqual([
      ['u1', 'active'],
      ['u1', 'idle'],
    ]);
  });
});
