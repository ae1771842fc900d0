/**
 * Heartbeat flood (issue 13): one agent key sends HEARTBEATS heartbeats for its own user as fast as 16 connections
 * allow, against a daemon running as a child process, while another user changes status now and then. Twice: with
 * the default rate limit (most are 429), and with the limit out of the way (all 204: each must be cheap).
 * - every heartbeat is answered 204 or 429 RATE_LIMITED (with Retry-After), none 409, none 5xx, none unanswered;
 * - the outbox (the event streams) and the delayed timer jobs do not grow with the flood;
 * - the other user's status change made before the flood is still in the resume window afterwards (the stream
 *   keeps only redis.streamMaxLen entries: 1,000 here, so 26,000 commits would have pushed it out);
 * - the other user's status changes during the flood stay fast (p50/p99 in the figure line).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Keys } from '../../src/bridge/redis/keys.js';
import { killAll } from '../daemon/cli-process.js';
import { KEYS } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { ChildDaemon, call, figure, must, size, type Reply } from './support.js';

const HEARTBEATS = size(6_000, 26_000);
const CONCURRENCY = 16;
const PARTITIONS = 4;

let redis: Redis;
let keys: Keys;
let base: string;
let daemon: ChildDaemon;
const prefix = uniquePrefix('hb-flood');
afterAll(async () => {
  await killAll();
  redis?.disconnect();
});

async function startDaemon(heartbeatsPerMinute: number | undefined, name: string): Promise<void> {
  await killAll();
  daemon = new ChildDaemon({
    redisUrl: inject('redisUrl'),
    prefix: `${prefix}${name}:`,
    port: await freePort(),
    sections: {
      redis: { streamMaxLen: 1_000 },
      status: heartbeatsPerMinute ? { heartbeatsPerMinute } : {},
    },
  });
  base = daemon.base;
  await daemon.start();
  redis ??= new Redis(inject('redisUrl'));
  keys = new Keys(`${prefix}${name}:`, PARTITIONS);
}

const streamEntries = async () => {
  let total = 0;
  for (const p of keys.allPartitions()) total += await redis.xlen(keys.events(p));
  return total;
};
/** Timers in the partitions' timer sets (every kind). */
const delayedJobs = async () => {
  let total = 0;
  for (const p of keys.allPartitions()) total += await redis.zcard(keys.timers(p));
  return total;
};
const percentile = (sorted: number[], q: number) =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) : 0;

describe.each([
  { name: 'limited', heartbeatsPerMinute: undefined },
  { name: 'unlimited', heartbeatsPerMinute: 100_000 },
])('heartbeat flood ($name)', ({ name, heartbeatsPerMinute }) => {
  beforeAll(() => startDaemon(heartbeatsPerMinute, name));

  it('answers 204 or 429, commits nothing, and keeps other users in the resume window', async () => {
    await must(base, 'PUT', '/v1/users/u1', { displayName: 'Flooder' });
    await must(base, 'PUT', '/v1/users/u2', { displayName: 'Bystander' });
    await must(base, 'POST', '/v1/users/u1/shift', {});
    await must(base, 'POST', '/v1/users/u2/shift', {});
    expect((await call(base, KEYS.agent, 'POST', '/v1/users/u1/heartbeat')).status).toBe(204);
    await must(base, 'PUT', '/v1/users/u2/status', { statusId: 'idle' });
    const p2 = keys.partitionOf('u2');
    const u2Entries = (await redis.xrange(keys.events(p2), '-', '+')).filter(([, f]) => f[3] === 'u2');
    const marker = u2Entries[u2Entries.length - 1]![0];
    const entriesBefore = await streamEntries();
    const jobsBefore = await delayedJobs();
    const versionBefore = (await must(base, 'GET', '/v1/users/u1')).version;

    const statuses = new Map<number, number>();
    let retryAfterMissing = 0;
    let sent = 0;
    const flood = async () => {
      while (sent < HEARTBEATS) {
        sent += 1;
        const reply = await call(base, KEYS.agent, 'POST', '/v1/users/u1/heartbeat');
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status === 429 && reply.body?.error?.code !== 'RATE_LIMITED') retryAfterMissing += 1;
      }
    };
    const bystander: Reply[] = [];
    let flooding = true;
    const changes = async () => {
      for (let i = 0; flooding; i++) {
        const statusId = i % 2 === 0 ? 'active' : 'idle';
        bystander.push(await call(base, KEYS.supervisor, 'PUT', '/v1/users/u2/status', { statusId }));
        // Paced, so its own changes (one outbox entry each) stay far below the 1,000 the stream keeps.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const started = performance.now();
    const watcher = changes();
    await Promise.all(Array.from({ length: CONCURRENCY }, flood));
    flooding = false;
    await watcher;
    const seconds = (performance.now() - started) / 1000;

    // A 429 carries Retry-After (call() gives no headers; ask once more, raw).
    const last = await fetch(`${base}/v1/users/u1/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.agent}` },
    });
    const entriesAfter = await streamEntries();
    const jobsAfter = await delayedJobs();
    const versionAfter = (await must(base, 'GET', '/v1/users/u1')).version;
    const stillThere = await redis.xrange(keys.events(p2), marker, marker);
    const latencies = bystander.map((r) => r.ms).sort((a, b) => a - b);
    // Entries the bystander's own changes added (two per change at most).
    const bystanderEntries = bystander.filter((r) => r.status === 200).length;
    const counts = [...statuses].map(([s, n]) => `${n} × ${s}`).join(', ');
    figure(
      `heartbeat flood (${name}): ${HEARTBEATS} heartbeats in ${seconds.toFixed(1)} s → ${counts}; ` +
        `u1 version ${versionBefore} → ${versionAfter}; outbox entries ${entriesBefore} → ${entriesAfter} ` +
        `(${bystanderEntries} bystander changes); timers ${jobsBefore} → ${jobsAfter}; ` +
        `bystander change p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms; ` +
        `bystander's earlier event ${stillThere.length ? 'still in' : 'GONE from'} the resume window`,
    );
    expect([...statuses.keys()].every((s) => s === 204 || s === 429)).toBe(true);
    expect(statuses.get(409) ?? 0).toBe(0);
    expect(retryAfterMissing).toBe(0);
    if (heartbeatsPerMinute === undefined) {
      expect(last.status).toBe(429);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    } else {
      expect(statuses.get(204)).toBe(HEARTBEATS);
    }
    expect(versionAfter).toBe(versionBefore);
    expect(entriesAfter - entriesBefore).toBeLessThanOrEqual(2 * bystanderEntries);
    expect(jobsAfter - jobsBefore).toBeLessThanOrEqual(bystanderEntries);
    expect(stillThere).toHaveLength(1);
    expect(bystander.every((r) => r.status === 200)).toBe(true);
    expect(daemon.errors()).toEqual([]);
  });
});
