/**
 * A/B of benchmark 1 (PUT /status over 1,000 agents, 50 connections) between two builds of the daemon, for a
 * machine too noisy for run-to-run comparisons: each build gets its own redis-server and fake PBX, both run side by
 * side and the loads alternate (A B, B A, ...). Per run: requests/s, CPU µs per request (daemon + Redis) and Redis
 * reads (≈ socket writes from its clients) and commands per request; medians at the end. `nopbx`: agents without
 * an extension (no PBX sync: mostly the request path). AB_BASELINE=1 adds the one-EVALSHA baseline each round;
 * AB_NODE_ARGS passes node flags to both daemons (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
 *
 *   npm run build && mkdir -p ../ab && cp -r dist ../ab/before && cp package.json ../ab/ && ln -sfn "$PWD/node_modules" ../ab/
 *   # (the build to compare against, e.g. main's; it needs package.json's "type" and node_modules beside it)
 *   ...change, npm run build...
 *   node --import tsx bench/tools/ab.ts ../ab/before/main.js dist/main.js [rounds=3] [pbx|nopbx] [seconds=4]
 */
import { mkdtempSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgents, daemonKeys, makeAgents, seedPbx, waitSettled } from '../lib/agents.js';
import { fakeAmi, privateRedis } from '../lib/context.js';
import { Api, until } from '../lib/http.js';
import { cleanupAll as runCleanup, installSignalHandlers } from '../lib/cleanup.js';
import { CpuMeter, KEYS, redisPid, spawnChild, seedBaselineUsers, startBaseline } from '../lib/procs.js';
import { load } from '../scenarios/throughput.js';
import { freePort } from '../../test/harness/redis-server.js';
import { writeFileSync } from 'node:fs';

installSignalHandlers();
const [mainA, mainB] = [process.argv[2]!, process.argv[3]!];
const rounds = Number(process.argv[4] ?? 3);
const pbx = (process.argv[5] ?? 'pbx') === 'pbx';
const seconds = Number(process.argv[6] ?? 4);
const users = 1000;
const dir = mkdtempSync(join(tmpdir(), 'ab-req-'));

async function start(name: string, main: string, redisUrl: string, amiPort: number) {
  const port = await freePort();
  const config = {
    server: { host: '127.0.0.1', port, docs: false, shutdownTimeoutMs: 10_000 },
    redis: { url: redisUrl, keyPrefix: 'pb:', embedded: 'never' },
    auth: {
      keys: [
        { name: 'bench-admin', role: 'admin', key: KEYS.admin },
        { name: 'bench-integration', role: 'integration', key: KEYS.integration },
      ],
    },
    log: { level: 'warn' },
    pbx: [
      {
        id: 'main',
        kind: 'freepbx',
        ami: { host: '127.0.0.1', port: amiPort, username: 'bridge', secret: 'secret' },
      },
    ],
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  const child = spawnChild(
    name,
    [...(process.env.AB_NODE_ARGS ? process.env.AB_NODE_ARGS.split(' ') : []), main, '--config', file],
    dir,
  );
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200,
    `${name} ready`,
    30_000,
  );
  return { ...child, url };
}

const agents = makeAgents(users);
const ids = agents.map((a) => a.id);
async function world(label: string, main: string) {
  const { server, client: redis } = await privateRedis();
  const fake = await fakeAmi();
  seedPbx(fake, agents);
  const d = await start(label, main, server.url, fake.port);
  const api = new Api(d.url, KEYS.admin);
  await until(
    async () => (await api.call('GET', '/v1/pbx')).body?.connections?.[0]?.connected,
    'AMI',
    30_000,
  );
  await createAgents(api, agents, { pbx });
  await waitSettled(api, redis, daemonKeys(), 300_000);
  return {
    label,
    d,
    api,
    redis,
    rp: redisPid(server.port),
    statusOf: new Uint8Array(ids.length),
    url: server.url,
    requests: 0,
    total: 0,
  };
}
async function stats(r: Redis) {
  const info = await r.info('stats');
  const g = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? 0);
  return { reads: g('total_reads_processed'), cmds: g('total_commands_processed') };
}
const out: Record<
  string,
  Array<{ reads?: number; cmds?: number; rps: number; cpu: number; redis: number; non2xx: number }>
> = { A: [], B: [], baseline: [] };
try {
  const worlds = [await world('A', mainA), await world('B', mainB)];
  for (const w of worlds) {
    const warm = await load(w.d.url, ids, w.statusOf, 50, 3, KEYS.integration);
    w.total = 2 * users + warm['2xx'] + warm.non2xx;
    await waitSettled(w.api, w.redis, daemonKeys(), 300_000);
  }
  const blStatus = new Uint8Array(ids.length);
  for (let round = 0; round < rounds; round++) {
    for (const w of round % 2 ? [...worlds].reverse() : worlds) {
      const i0 = await stats(w.redis);
      const meter = new CpuMeter({ server: w.d.pid, redis: w.rp });
      const r = await load(w.d.url, ids, w.statusOf, 50, seconds, KEYS.integration);
      const cpu = meter.read();
      const i1 = await stats(w.redis);
      const ok = Math.max(1, r['2xx']);
      w.requests += r['2xx'] + r.non2xx;
      const row = {
        reads: +((i1.reads - i0.reads) / ok).toFixed(2),
        cmds: +((i1.cmds - i0.cmds) / ok).toFixed(2),
        rps: Math.round(r['2xx'] / r.duration),
        cpu: Math.round(((cpu.server ?? 0) * 1e6) / ok),
        redis: Math.round(((cpu.redis ?? 0) * 1e6) / ok),
        non2xx: r.non2xx,
      };
      out[w.label]!.push(row);
      console.log(w.label, round, JSON.stringify(row));
      await waitSettled(w.api, w.redis, daemonKeys(), 300_000);
    }
    if (process.env.AB_BASELINE) {
      const w = worlds[0]!;
      if (round === 0) {
        await seedBaselineUsers(
          w.redis,
          agents.map((a) => a.id),
        );
      }
      const b = await startBaseline(dir, w.url);
      await load(b.url, ids, blStatus, 50, 1);
      const meter = new CpuMeter({ server: b.pid, redis: w.rp });
      const r = await load(b.url, ids, blStatus, 50, seconds);
      const cpu = meter.read();
      const ok = Math.max(1, r['2xx']);
      const row = {
        rps: Math.round(r['2xx'] / r.duration),
        cpu: Math.round(((cpu.server ?? 0) * 1e6) / ok),
        redis: Math.round(((cpu.redis ?? 0) * 1e6) / ok),
        non2xx: r.non2xx,
      };
      out.baseline!.push(row);
      console.log('baseline', round, JSON.stringify(row));
      await b.stop();
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [k, rs] of Object.entries(out))
    if (rs.length)
      console.log(
        `${k}: median rps ${med(rs.map((r) => r.rps))} cpu ${med(rs.map((r) => r.cpu))} + ${med(rs.map((r) => r.redis))} µs/req`,
      );
  for (const w of worlds) console.log(w.label, 'measured requests', w.requests, 'all', w.total + w.requests);
  console.log('dir', dir);
} finally {
  await runCleanup();
}
