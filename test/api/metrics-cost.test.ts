/**
 * Unauthenticated /metrics must be cheap for Redis whatever the number of scrapers: no SCAN of the keyspace, and
 * one refresh of the per-status gauge shared by concurrent scrapes.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { createUser, setStatus } from '../events/helpers.js';

let d: TestDaemon;
let monitor: Awaited<ReturnType<Redis['monitor']>> | undefined;
let client: Redis;

beforeAll(async () => {
  d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  client = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  monitor?.disconnect();
  client?.disconnect();
  await d?.stop();
});

describe('/metrics', () => {
  it('counts users by status without scanning, once for many concurrent scrapes', async () => {
    for (const id of ['m1', 'm2', 'm3']) await createUser(d, id);
    await setStatus(d, 'm1', 'active');
    const prefix = d.config.redis.keyPrefix;
    const seen: string[][] = [];
    monitor = await client.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(prefix))) seen.push(args);
    });
    const scrapes = await Promise.all(Array.from({ length: 20 }, () => d.request(null, 'GET', '/metrics')));
    for (const s of scrapes) expect(s.status).toBe(200);
    const text = String(scrapes[0]?.body);
    expect(text).toMatch(/pb_users_by_status\{status="active"\} 1/);
    expect(text).toMatch(/pb_users_by_status\{status="offline"\} 2/);
    // Let MONITOR deliver what was sent, by a marker command of our own after the scrapes.
    await client.get(`${prefix}marker`);
    const deadline = Date.now() + 2_000;
    while (!seen.some((a) => a[1] === `${prefix}marker`) && Date.now() < deadline)
      await new Promise((resolve) => setImmediate(resolve));
    const commands = seen.map((a) => (a[0] ?? '').toLowerCase());
    expect(commands.filter((c) => c === 'scan' || c === 'keys')).toEqual([]);
    const scards = commands.filter((c) => c === 'scard').length;
    const statuses = (await d.request('admin', 'GET', '/v1/status-types')).body;
    const types = Array.isArray(statuses) ? statuses.length : statuses.items.length;
    expect(scards).toBeLessThanOrEqual(types * d.config.redis.partitions);
  });
});
