/**
 * Benchmark 1: status-change throughput. `PUT /v1/users/{id}/status` over N users (each with a FreePBX
 * extension, so every change is committed with its outbox entry, which the PBX connection's holder reads and syncs
 * to the fake AMI server), against a minimal fastify + one-EVALSHA baseline, at 50 and 100 connections. Runs alternate daemon and
 * baseline so that drift of the machine hits both; between runs the daemon is left to finish its sync backlog.
 */
import autocannon, { type Result } from 'autocannon';
import { daemonKeys, createAgents, makeAgents, seedPbx, waitSettled, backlog } from '../lib/agents.js';
import {
  fakeAmi,
  privateRedis,
  subDir,
  type BenchContext,
  type BenchResult,
  type Row,
} from '../lib/context.js';
import { Api, until } from '../lib/http.js';
import {
  CpuMeter,
  KEYS,
  redisPid,
  rssMiB,
  seedBaselineUsers,
  startBaseline,
  startDaemon,
} from '../lib/procs.js';
import { median, round } from '../lib/stats.js';

interface Run {
  rps: number;
  /** CPU time per successful request, µs: the server process and redis-server. */
  cpuUsPerReq: number;
  redisUsPerReq: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/**
 * `statusOf` (0: active, as created; 1: idle) is kept by the caller across runs, so that every request of every run
 * selects the other status: a real change.
 */
export function load(
  url: string,
  ids: readonly string[],
  statusOf: Uint8Array,
  connections: number,
  duration: number,
  key?: string,
) {
  let n = 0;
  return autocannon({
    url,
    connections,
    duration,
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    requests: [
      {
        // Round-robin over the users, each request a real change (active ↔ idle).
        setupRequest: (req) => {
          const i = n++ % ids.length;
          const flipped = (statusOf[i] ?? 0) ^ 1;
          statusOf[i] = flipped;
          return {
            ...req,
            path: `/v1/users/${ids[i]}/status`,
            body: JSON.stringify({ statusId: flipped ? 'idle' : 'active' }),
          };
        },
      },
    ],
  });
}

async function measured(pid: number, redis: number | undefined, run: () => Promise<Result>): Promise<Run> {
  const meter = new CpuMeter({ server: pid, redis });
  const r = await run();
  const cpu = meter.read();
  const ok = Math.max(1, r['2xx']);
  return {
    rps: r['2xx'] / r.duration,
    cpuUsPerReq: ((cpu.server ?? 0) * 1e6) / ok,
    redisUsPerReq: ((cpu.redis ?? 0) * 1e6) / ok,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

export async function throughput(ctx: BenchContext): Promise<BenchResult> {
  const users = ctx.quick ? 200 : 1000;
  const duration = ctx.quick ? 3 : 8;
  const runs = ctx.quick ? 1 : 3;
  const connectionLevels = [50, 100];
  const dir = subDir(ctx, 'throughput');

  const { server, client: redis } = await privateRedis();
  const fake = await fakeAmi();
  const agents = makeAgents(users);
  seedPbx(fake, agents);
  const daemon = await startDaemon({
    name: 'daemon-throughput',
    workDir: dir,
    redisUrl: server.url,
    amiPort: fake.port,
    nodeArgs: ctx.daemonNodeArgs,
  });
  const api = new Api(daemon.url, KEYS.admin);
  try {
    await until(
      async () => (await api.call('GET', '/v1/pbx')).body?.connections?.[0]?.connected,
      'AMI connected',
    );
    const t0 = performance.now();
    await createAgents(api, agents);
    ctx.log(`throughput: ${users} agents created in ${round((performance.now() - t0) / 1000)} s`);
    await waitSettled(api, redis, daemonKeys());
    ctx.log(`throughput: settled after ${round((performance.now() - t0) / 1000)} s`);

    // Baseline data: the same users as hashes of 4 fields plus a version.
    await seedBaselineUsers(
      redis,
      agents.map((a) => a.id),
    );
    const baseline = await startBaseline(dir, server.url);

    const ids = agents.map((a) => a.id);
    const daemonStatus = new Uint8Array(ids.length);
    const baselineStatus = new Uint8Array(ids.length);
    const redisProcess = redisPid(server.port);
    // Warm-up (JIT, connection pools), not recorded.
    await load(daemon.url, ids, daemonStatus, 50, 2, KEYS.integration);
    await waitSettled(api, redis, daemonKeys(), 300_000);
    await load(baseline.url, ids, baselineStatus, 50, 2);
    const results: Record<
      string,
      { daemon: Run[]; baseline: Run[]; rssMiB: number[]; backlogAfter: number[]; settleSeconds: number[] }
    > = {};
    for (const connections of connectionLevels) {
      const r = (results[connections] = {
        daemon: [] as Run[],
        baseline: [] as Run[],
        rssMiB: [] as number[],
        backlogAfter: [] as number[],
        settleSeconds: [] as number[],
      });
      for (let run = 0; run < runs; run++) {
        let peakRss = 0;
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(daemon.pid))), 250);
        const d = await measured(daemon.pid, redisProcess, () =>
          load(daemon.url, ids, daemonStatus, connections, duration, KEYS.integration),
        );
        clearInterval(sampler);
        peakRss = Math.max(peakRss, rssMiB(daemon.pid));
        r.daemon.push(d);
        r.rssMiB.push(peakRss);
        const b0 = await backlog(api, redis, daemonKeys());
        r.backlogAfter.push(b0.syncWaiting + b0.outboxLag);
        const s0 = performance.now();
        await waitSettled(api, redis, daemonKeys(), 300_000);
        r.settleSeconds.push((performance.now() - s0) / 1000);
        const b = await measured(baseline.pid, redisProcess, () =>
          load(baseline.url, ids, baselineStatus, connections, duration),
        );
        r.baseline.push(b);
        ctx.log(
          `throughput c=${connections} run ${run + 1}: daemon ${round(d.rps, 0)} rps p99 ${d.p99} ms (non2xx ${d.non2xx}) ${round(d.cpuUsPerReq, 0)}+${round(d.redisUsPerReq, 0)} µs CPU/req, ` +
            `rss ${round(peakRss)} MiB, backlog ${b0.syncWaiting}+${b0.outboxLag} settled in ${round(r.settleSeconds.at(-1) ?? 0)} s; ` +
            `baseline ${round(b.rps, 0)} rps p99 ${b.p99} ms ${round(b.cpuUsPerReq, 0)}+${round(b.redisUsPerReq, 0)} µs CPU/req`,
        );
      }
    }
    await baseline.stop();

    const rows: Row[] = [];
    for (const connections of connectionLevels) {
      const r = results[connections];
      if (!r) continue;
      const dRps = median(r.daemon.map((x) => x.rps));
      const bRps = median(r.baseline.map((x) => x.rps));
      const ratio = dRps / bRps;
      const bench = `1. status change, ${users} users, ${connections} conns`;
      rows.push(
        {
          bench,
          metric: 'requests/s (median)',
          value: String(round(dRps, 0)),
          baseline: String(round(bRps, 0)),
          ratio: `${round(ratio * 100, 0)} %`,
          goal: '≥ 60 % of baseline',
          met: ratio >= 0.6,
        },
        {
          bench,
          metric: 'latency p50 / p99',
          value: `${median(r.daemon.map((x) => x.p50))} / ${median(r.daemon.map((x) => x.p99))} ms`,
          baseline: `${median(r.baseline.map((x) => x.p50))} / ${median(r.baseline.map((x) => x.p99))} ms`,
        },
        {
          bench,
          metric: 'CPU per request: server + redis',
          value: `${round(median(r.daemon.map((x) => x.cpuUsPerReq)), 0)} + ${round(median(r.daemon.map((x) => x.redisUsPerReq)), 0)} µs`,
          baseline: `${round(median(r.baseline.map((x) => x.cpuUsPerReq)), 0)} + ${round(median(r.baseline.map((x) => x.redisUsPerReq)), 0)} µs`,
        },
        { bench, metric: 'daemon RSS (peak)', value: `${round(Math.max(...r.rssMiB), 0)} MiB` },
        {
          bench,
          metric: 'sync backlog after a run, drained in',
          value: `${round(median(r.backlogAfter), 0)} entries, ${round(median(r.settleSeconds), 1)} s`,
        },
      );
    }
    return { name: 'throughput', rows, data: { users, duration, runs, results } };
  } finally {
    api.close();
    await daemon.stop();
  }
}
