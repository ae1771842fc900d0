/**
 * Benchmark 3: shift-break burst. N agents (each in one of 100 queues, Active: queue member, DND off) switch to
 * On Break within about a second (N PUT /v1/users/{id}/status from many connections). Measured: the time from the
 * first request until the fake PBX holds the desired state for every agent (queue member removed and DND on), and
 * the PBX write actions that took, against the minimum: the writes one Active → On Break change needs, measured
 * on a calibration agent in the same run, times N.
 */
import type { FakeAmiServer } from '../../test/fakes/fake-ami-server.js';
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
import { CpuMeter, KEYS, redisPid, startDaemon } from '../lib/procs.js';
import { round } from '../lib/stats.js';

/** On Break on the PBX: DND on and the queue member paused with reason "On Break" (a break is a pause). */
/** AMI actions that only read (keepalive and session actions left out). */
const NOT_READS = new Set(['ping', 'login', 'logoff', 'events']);
const reads = (fake: FakeAmiServer): number =>
  fake.actions.filter((a) => !NOT_READS.has(a.name.toLowerCase())).length - fake.writes().length;

const onBreak = (fake: FakeAmiServer, a: Agent): boolean =>
  fake.db.get(`DND/${a.ext}`) === 'YES' && fake.member(a.queue, MEMBER(a.ext))?.reason === 'On Break';

export async function burst(ctx: BenchContext): Promise<BenchResult> {
  const count = ctx.quick ? 1000 : 10_000;
  const dir = subDir(ctx, 'burst');
  const { server, client: redis } = await privateRedis();
  const fake = await fakeAmi();
  const all = makeAgents(count + 1);
  const calibration = all[count] as Agent;
  const agents = all.slice(0, count);
  seedPbx(fake, all);
  const daemon = await startDaemon({
    name: 'daemon-burst',
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
    const t0 = performance.now();
    await createAgents(api, all, { concurrency: 64 });
    ctx.log(`burst: ${all.length} agents created in ${round((performance.now() - t0) / 1000)} s`);
    await waitSettled(api, redis, keys, 300_000);
    ctx.log(`burst: PBX in step with Active for all after ${round((performance.now() - t0) / 1000)} s`);

    // The minimum: writes of one Active → On Break change, alone.
    fake.clearActions();
    await api.expect('PUT', `/v1/users/${calibration.id}/status`, { statusId: 'on-break' }, [200]);
    await until(() => onBreak(fake, calibration), 'calibration agent on break');
    await waitSettled(api, redis, keys);
    const perAgent = fake.writes().length;
    const readsPerAgent = reads(fake);
    const writeNames = fake.writes().map((w) => w.name);

    // The burst.
    fake.clearActions();
    const meter = new CpuMeter({ daemon: daemon.pid, bench: 0, redis: redisPid(server.port) });
    const start = performance.now();
    await forEachLimit(agents.length, 200, (i) =>
      api.expect('PUT', `/v1/users/${(agents[i] as Agent).id}/status`, { statusId: 'on-break' }, [200]),
    );
    const submitted = (performance.now() - start) / 1000;
    ctx.log(`burst: ${count} status changes submitted in ${round(submitted, 2)} s`);
    let remaining = agents.filter((a) => !onBreak(fake, a));
    await until(
      () => {
        remaining = remaining.filter((a) => !onBreak(fake, a));
        return remaining.length === 0;
      },
      `the PBX to show On Break for all ${count} agents`,
      120_000,
      25,
    );
    const inSync = (performance.now() - start) / 1000;
    await waitSettled(api, redis, keys, 120_000);
    const cpu = meter.read();
    const writes = fake.writes().length;
    const burstReads = reads(fake);
    const minimum = perAgent * count;
    const ratio = writes / minimum;
    ctx.log(
      `burst: all ${count} on the PBX after ${round(inSync, 2)} s; ${burstReads} reads (${round(burstReads / count, 2)}/agent, calibration ${readsPerAgent}); ${writes} writes for a minimum of ${minimum} (${round(ratio, 2)}×); CPU s: daemon ${round(cpu.daemon ?? 0, 2)}, bench+fake PBX ${round(cpu.bench ?? 0, 2)}, redis ${round(cpu.redis ?? 0, 2)}`,
    );

    const bench = `3. break burst, ${count} agents`;
    const rows: Row[] = [
      { bench, metric: 'requests submitted in', value: `${round(submitted, 2)} s` },
      {
        bench,
        metric: 'all on break on the PBX after',
        value: `${round(inSync, 2)} s`,
        goal: '≤ 5 s',
        met: inSync <= 5,
      },
      {
        bench,
        metric: 'PBX write actions',
        value: String(writes),
        baseline: `${minimum} (min: ${perAgent}/agent)`,
        ratio: `${round(ratio, 2)}×`,
        goal: '≤ 1.2 × minimum',
        met: ratio <= 1.2,
      },
      {
        bench,
        metric: 'PBX read actions',
        value: `${burstReads} (${round(burstReads / count, 2)}/agent)`,
        baseline: `calibration agent: ${readsPerAgent}`,
      },
    ];
    return {
      name: 'burst',
      rows,
      data: {
        count,
        submitted,
        inSync,
        writes,
        minimum,
        perAgent,
        writeNames,
        reads: burstReads,
        readsPerAgent,
        cpu,
      },
    };
  } finally {
    api.close();
    await daemon.stop();
  }
}
