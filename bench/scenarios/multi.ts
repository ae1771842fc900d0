/**
 * Benchmark 5: the HTTP side on more than one core. `PUT /v1/users/{id}/status` over N agents, first against one
 * daemon (100 connections), then against two daemons on the same Redis at once (50 connections each; the first holds
 * the PBX connection and syncs every change, the second only serves HTTP), alternating, 3 × 8 s each. The two
 * daemons' requests/s add up; the ratio says how much a second daemon adds on this machine. A third arm sends all
 * 100 connections to the second daemon while the first only syncs: the HTTP side with the PBX sync in another
 * process (what moving the sync off the main thread could give), with each process's CPU per request.
 */
import type { Result } from 'autocannon';
import { createAgents, daemonKeys, makeAgents, seedPbx, waitSettled } from '../lib/agents.js';
import { fakeAmi, privateRedis, subDir, type BenchContext, type BenchResult } from '../lib/context.js';
import { Api, until } from '../lib/http.js';
import { CpuMeter, KEYS, redisPid, startDaemon } from '../lib/procs.js';
import { median, round } from '../lib/stats.js';
import { load } from './throughput.js';

export async function multi(ctx: BenchContext): Promise<BenchResult> {
  const users = ctx.quick ? 200 : 1000;
  const duration = ctx.quick ? 3 : 8;
  const runs = ctx.quick ? 1 : 3;
  const dir = subDir(ctx, 'multi');
  const { server, client: redis } = await privateRedis();
  const fake = await fakeAmi();
  const agents = makeAgents(users);
  seedPbx(fake, agents);
  const common = { workDir: dir, redisUrl: server.url, amiPort: fake.port, nodeArgs: ctx.daemonNodeArgs };
  const a = await startDaemon({ name: 'daemon-multi-a', ...common });
  const b = await startDaemon({ name: 'daemon-multi-b', ...common });
  const api = new Api(a.url, KEYS.admin);
  try {
    await until(
      async () => (await api.call('GET', '/v1/pbx')).body?.connections?.[0]?.connected,
      'AMI connected',
    );
    await createAgents(api, agents);
    await waitSettled(api, redis, daemonKeys());
    const ids = agents.map((x) => x.id);
    const status = new Uint8Array(ids.length);
    const rp = redisPid(server.port);
    await load(a.url, ids, status, 50, 2, KEYS.integration); // warm-up
    await load(b.url, ids, status, 50, 2, KEYS.integration);
    await waitSettled(api, redis, daemonKeys(), 300_000);
    const one: number[] = [];
    const two: number[] = [];
    const cpuTwo: number[] = [];
    const split: number[] = [];
    const splitCpu: Array<{ http: number; sync: number }> = [];
    const ok = (r: Result) => r['2xx'] / r.duration;
    for (let run = 0; run < runs; run++) {
      const r1 = await load(a.url, ids, status, 100, duration, KEYS.integration);
      one.push(ok(r1));
      await waitSettled(api, redis, daemonKeys(), 300_000);
      const meter = new CpuMeter({ server: a.pid, redis: rp });
      const meterB = new CpuMeter({ server: b.pid });
      // Both halves change distinct users (even and odd indexes would still collide on the shared flip array).
      const half = Math.floor(ids.length / 2);
      const [ra, rb] = await Promise.all([
        load(a.url, ids.slice(0, half), status.subarray(0, half), 50, duration, KEYS.integration),
        load(b.url, ids.slice(half), status.subarray(half), 50, duration, KEYS.integration),
      ]);
      const total = (ra['2xx'] + rb['2xx']) / Math.max(ra.duration, rb.duration);
      two.push(total);
      const c = meter.read();
      const cb = meterB.read();
      cpuTwo.push(
        (((c.server ?? 0) + (cb.server ?? 0) + (c.redis ?? 0)) * 1e6) / Math.max(1, ra['2xx'] + rb['2xx']),
      );
      ctx.log(
        `multi run ${run + 1}: one daemon ${round(ok(r1), 0)} rps; two daemons ${round(ok(ra), 0)} + ${round(ok(rb), 0)} = ${round(total, 0)} rps (${round(cpuTwo.at(-1) ?? 0, 0)} µs CPU/req, both daemons + redis)`,
      );
      await waitSettled(api, redis, daemonKeys(), 300_000);
      const meterSplit = new CpuMeter({ server: b.pid, sync: a.pid });
      const rs = await load(b.url, ids, status, 100, duration, KEYS.integration);
      const cs = meterSplit.read();
      split.push(ok(rs));
      const per = (cpu: number | undefined) => ((cpu ?? 0) * 1e6) / Math.max(1, rs['2xx']);
      splitCpu.push({ http: per(cs.server), sync: per(cs.sync) });
      ctx.log(
        `multi run ${run + 1}: HTTP on the daemon without the PBX connection ${round(ok(rs), 0)} rps (${round(per(cs.server), 0)} µs CPU/req there, ${round(per(cs.sync), 0)} µs in the syncing daemon)`,
      );
      await waitSettled(api, redis, daemonKeys(), 300_000);
    }
    const bench = `5. status change, ${users} users, 2 daemons`;
    const ratio = median(two) / median(one);
    return {
      name: 'multi',
      rows: [
        {
          bench,
          metric: 'requests/s, two daemons (50 conns each) vs one (100 conns)',
          value: String(round(median(two), 0)),
          baseline: String(round(median(one), 0)),
          ratio: `${round(ratio, 2)}×`,
        },
        { bench, metric: 'CPU per request, both daemons + redis', value: `${round(median(cpuTwo), 0)} µs` },
        {
          bench,
          metric: 'requests/s, HTTP on one daemon, PBX sync in the other (100 conns) vs one daemon',
          value: String(round(median(split), 0)),
          baseline: String(round(median(one), 0)),
          ratio: `${round(median(split) / median(one), 2)}×`,
        },
        {
          bench,
          metric: 'CPU per request there: HTTP daemon + syncing daemon',
          value: `${round(median(splitCpu.map((c) => c.http)), 0)} + ${round(median(splitCpu.map((c) => c.sync)), 0)} µs`,
        },
      ],
      data: { users, duration, runs, one, two, cpuTwo, split, splitCpu },
    };
  } finally {
    api.close();
    await a.stop();
    await b.stop();
  }
}
