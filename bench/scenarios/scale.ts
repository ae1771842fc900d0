/**
 * Benchmark 4: scale. U users with state, history and an open shift (created through the daemon's API: PUT
 * /v1/users/{id} then POST /v1/users/{id}/shift, so each has a committed state, a closed history span and an
 * open shift); A of them are FreePBX agents on the fake AMI server. Measured: Redis memory per user (INFO memory
 * used_memory delta / U, with the event streams' and BullMQ's share shown apart), the daemon's RSS,
 * `GET /v1/users?limit=100` p99 (random cursors), and a full reconcile after an AMI reconnect: the fake drops every
 * connection (with drift made on the PBX meanwhile for 10 % of the agents) and the clock runs until every agent's
 * sync record is newer than the drop and the drift is repaired.
 */
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import {
  createAgents,
  daemonKeys,
  makeAgents,
  MEMBER,
  seedPbx,
  waitSettled,
  type Agent,
} from '../lib/agents.js';
import {
  fakeAmi,
  privateRedis,
  subDir,
  type BenchContext,
  type BenchResult,
  type Row,
} from '../lib/context.js';
import { Api, forEachLimit, until } from '../lib/http.js';
import { KEYS, startDaemon } from '../lib/procs.js';
import { round } from '../lib/stats.js';

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

/**
 * MEMORY USAGE of every key of the daemon's prefix, summed by kind: the name after the hash tag up to the next
 * ":" (`user`, `history`, `events` ...; BullMQ's keys as `bull:<queue>:<kind>`), so a change shows where it saves.
 */
async function memoryByKind(
  redis: Redis,
  prefix: string,
): Promise<Record<string, { bytes: number; keys: number }>> {
  const kinds: Record<string, { bytes: number; keys: number }> = {};
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    const results = (await pipeline.exec()) ?? [];
    found.forEach((key, i) => {
      const rest = key.slice(prefix.length);
      const bull = /^\{bull\}:([^:]+):([^:]+)/.exec(rest);
      const kind = bull
        ? `bull:${bull[1]}:${/^\d+$|~|@/.test(bull[2] ?? '') ? 'job' : bull[2]}`
        : (/^\{[^}]*\}:([^:]+)/.exec(rest)?.[1] ?? rest);
      const entry = (kinds[kind] ??= { bytes: 0, keys: 0 });
      entry.bytes += Number(results[i]?.[1] ?? 0);
      entry.keys += 1;
    });
  } while (cursor !== '0');
  return kinds;
}

/** Sum of MEMORY USAGE over the keys matching `pattern`. */
async function memoryOf(redis: Redis, pattern: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    for (const [, n] of (await pipeline.exec()) ?? []) bytes += Number(n ?? 0);
    keys += found.length;
  } while (cursor !== '0');
  return { bytes, keys };
}

export async function scale(ctx: BenchContext): Promise<BenchResult> {
  const userCount = ctx.quick ? 10_000 : 100_000;
  const agentCount = ctx.quick ? 1_000 : 10_000;
  const dir = subDir(ctx, 'scale');
  const { server, client: redis } = await privateRedis();
  const fake = await fakeAmi();
  const agents = makeAgents(agentCount);
  seedPbx(fake, agents);
  const daemon = await startDaemon({
    name: 'daemon-scale',
    workDir: dir,
    redisUrl: server.url,
    amiPort: fake.port,
    nodeArgs: ctx.daemonNodeArgs,
  });
  const api = new Api(daemon.url, KEYS.admin, 256);
  const keys = daemonKeys();
  try {
    await until(
      async () => (await api.call('GET', '/v1/pbx')).body?.connections?.[0]?.connected,
      'AMI connected',
    );
    await waitSettled(api, redis, keys);
    const before = await usedMemory(redis);

    // Users: the agents, then plain users (no PBX) up to userCount.
    const t0 = performance.now();
    await createAgents(api, agents, { concurrency: 128 });
    const plain = userCount - agentCount;
    await forEachLimit(plain, 128, async (i) => {
      await api.expect('PUT', `/v1/users/u-${i}`, { displayName: `User ${i}` }, [201]);
      await api.expect('POST', `/v1/users/u-${i}/shift`, {}, [200]);
    });
    const created = (performance.now() - t0) / 1000;
    ctx.log(
      `scale: ${userCount} users created through the API in ${round(created)} s (${round((2 * userCount) / created, 0)} requests/s)`,
    );
    await waitSettled(api, redis, keys, 600_000);
    const settled = (performance.now() - t0) / 1000;
    ctx.log(`scale: outbox and sync settled after ${round(settled)} s`);

    const after = await usedMemory(redis);
    const streams = await memoryOf(redis, `${keys.prefix}{p*}:events`);
    const bull = await memoryOf(redis, `${keys.bullPrefix()}*`);
    const perUser = (after - before) / userCount;
    const perUserData = (after - before - streams.bytes - bull.bytes) / userCount;
    const streamEntries = (
      await Promise.all(keys.allPartitions().map((p) => redis.xlen(keys.events(p))))
    ).reduce((a, b) => a + b, 0);
    const rss = daemon.rssMiB();
    const byKind = await memoryByKind(redis, keys.prefix);
    ctx.log(
      `scale: MEMORY USAGE per user by key kind: ${Object.entries(byKind)
        .sort(([, a], [, b]) => b.bytes - a.bytes)
        .map(([kind, m]) => `${kind} ${round(m.bytes / userCount, 0)} B (${m.keys} keys)`)
        .join(', ')}`,
    );
    ctx.log(
      `scale: redis +${round((after - before) / 2 ** 20)} MiB = ${round(perUser / 1024, 2)} KiB/user (streams ${round(streams.bytes / 2 ** 20)} MiB in ${streamEntries} entries, bullmq ${round(bull.bytes / 2 ** 20)} MiB); daemon RSS ${round(rss)} MiB`,
    );

    // GET /v1/users?limit=100 from random cursors (a supervisor board paging through everyone).
    const ids = [...agents.map((a) => a.id), ...Array.from({ length: plain }, (_, i) => `u-${i}`)];
    const list = await autocannon({
      url: daemon.url,
      connections: 10,
      duration: ctx.quick ? 3 : 6,
      headers: { authorization: `Bearer ${KEYS.supervisor}` },
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            path: `/v1/users?limit=100&cursor=${encodeURIComponent(ids[Math.floor(Math.random() * ids.length)] ?? '')}`,
          }),
        },
      ],
    });
    ctx.log(
      `scale: GET /v1/users?limit=100 ${round(list['2xx'] / list.duration, 0)} rps, p50 ${list.latency.p50} ms, p99 ${list.latency.p99} ms (non2xx ${list.non2xx})`,
    );

    const reconcile = await reconcileAfterDrop(ctx, fake, redis, api, agents);
    const rssAfter = daemon.rssMiB();

    const bench = `4. scale, ${userCount} users`;
    const rows: Row[] = [
      {
        bench,
        metric: 'created through the API in',
        value: `${round(created)} s (settled ${round(settled)} s)`,
      },
      {
        bench,
        metric: 'Redis memory per user',
        value: `${round(perUser / 1024, 2)} KiB`,
        goal: '≤ 2 KiB',
        met: perUser <= 2048,
      },
      {
        bench,
        metric: '… without the event streams and BullMQ',
        value: `${round(perUserData / 1024, 2)} KiB`,
      },
      {
        bench,
        metric: 'daemon RSS',
        value: `${round(Math.max(rss, rssAfter), 0)} MiB`,
        goal: '≤ 250 MiB',
        met: Math.max(rss, rssAfter) <= 250,
      },
      {
        bench,
        metric: 'GET /v1/users?limit=100 p50 / p99',
        value: `${list.latency.p50} / ${list.latency.p99} ms`,
        baseline: `${round(list['2xx'] / list.duration, 0)} req/s at 10 conns`,
      },
      {
        bench,
        metric: `full reconcile after AMI reconnect, ${agentCount} agents`,
        value: `${round(reconcile.seconds, 2)} s`,
        goal: '≤ 10 s',
        met: reconcile.seconds <= 10,
      },
    ];
    return {
      name: 'scale',
      rows,
      data: {
        userCount,
        agentCount,
        created,
        settled,
        memory: { before, after, perUser, perUserData, streams, streamEntries, bull, byKind },
        rssMiB: { afterCreate: rss, afterReconcile: rssAfter },
        list: {
          rps: list['2xx'] / list.duration,
          p50: list.latency.p50,
          p99: list.latency.p99,
          non2xx: list.non2xx,
        },
        reconcile,
      },
    };
  } finally {
    api.close();
    await daemon.stop();
  }
}

/**
 * Drops the AMI link after making drift on the PBX (10 % of the agents taken out of their queue behind the bridge's
 * back) and measures until every agent's sync record is newer than the drop and the drift is repaired.
 */
async function reconcileAfterDrop(
  ctx: BenchContext,
  fake: Awaited<ReturnType<typeof fakeAmi>>,
  redis: Redis,
  api: Api,
  agents: readonly Agent[],
): Promise<{ seconds: number; reconnectedAfter: number; drifted: number }> {
  const keys = daemonKeys();
  const drifted = agents.filter((_, i) => i % 10 === 0);
  for (const a of drifted) {
    const members = fake.queues.get(a.queue) ?? [];
    const at = members.findIndex((m) => m.interface === MEMBER(a.ext));
    if (at !== -1) members.splice(at, 1);
  }
  const dropAt = Date.now();
  const start = performance.now();
  fake.dropAll();
  let reconnectedAfter = NaN;
  let pending = [...agents];
  await until(
    async () => {
      if (Number.isNaN(reconnectedAfter) && fake.authenticatedSessions > 0)
        reconnectedAfter = (performance.now() - start) / 1000;
      const pipeline = redis.pipeline();
      for (const a of pending) pipeline.hmget(keys.user(a.id), 'sync', 'syncState');
      const replies = (await pipeline.exec()) ?? [];
      pending = pending.filter((_, i) => {
        // The sync state has its own field; the JSON holds the details (syncedAt).
        const [json, state] = (replies[i]?.[1] ?? []) as Array<string | null>;
        const record = typeof json === 'string' ? (JSON.parse(json) as { syncedAt?: string }) : {};
        return state !== 'in-sync' || !record.syncedAt || Date.parse(record.syncedAt) < dropAt;
      });
      return pending.length === 0 && drifted.every((a) => fake.member(a.queue, MEMBER(a.ext)));
    },
    'every agent re-synced after the AMI reconnect',
    120_000,
    100,
  );
  const seconds = (performance.now() - start) / 1000;
  ctx.log(
    `scale: reconcile of ${agents.length} agents done ${round(seconds, 2)} s after the drop (reconnected after ${round(reconnectedAfter, 2)} s)`,
  );
  await waitSettled(api, redis, keys, 120_000);
  return { seconds, reconnectedAfter, drifted: drifted.length };
}
