/**
 * Benchmark 2: call end → deferred status applied. Agents are on a call (a channel on the fake AMI server) with an
 * upcoming status; the fake server hangs the calls up at a fixed rate (500/s) and an SSE client on
 * `GET /v1/events` (admin key) takes the time from the Hangup frame leaving the fake server to the agent's
 * `user.status.changed` (cause deferred) arriving. Every hangup must produce its event. Rounds alternate the
 * upcoming status (On Break, Active, …) so the same agents serve every round.
 * Baseline: a Redis pub/sub round trip (PUBLISH → subscriber) at the same rate, in the same run.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { FakeChannel } from '../../test/fakes/fake-ami-server.js';
import { createAgents, daemonKeys, makeAgents, seedPbx, waitSettled, type Agent } from '../lib/agents.js';
import {
  fakeAmi,
  privateRedis,
  subDir,
  type BenchContext,
  type BenchResult,
  type Row,
} from '../lib/context.js';
import { Api, forEachLimit, until } from '../lib/http.js';
import { CpuMeter, KEYS, startDaemon } from '../lib/procs.js';
import { now, SseThread } from '../lib/sse-thread.js';
import type { SseEvent } from '../lib/sse.js';
import { median, percentile, round } from '../lib/stats.js';

const RATE = 500; // call ends per second

interface RoundResult {
  sent: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
  /** Event-loop delay of this (measuring) process during the round, p99 in ms. */
  benchLoopDelayP99: number;
  /** Daemon CPU per call end, ms, including the PBX sync of the applied status. */
  daemonCpuMsPerCallEnd: number;
}

const channelOf = (a: Agent, round: number): FakeChannel => {
  const id = `${1_700_000_000 + round}.${a.ext}`;
  return {
    channel: `PJSIP/${a.ext}-${(round * 100_000 + Number(a.ext)).toString(16).padStart(8, '0')}`,
    uniqueid: id,
    linkedid: id,
    state: '6',
  };
};

/** Calls `fn(i)` for i in [0, count) at `rate` per second (catching up in bursts if the timer is late). */
async function paced(count: number, rate: number, fn: (i: number) => void): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.floor(((performance.now() - start) * rate) / 1000) + 1;
    while (i < Math.min(due, count)) fn(i++);
    if (i < count) await new Promise((r) => setTimeout(r, 1));
  }
}

export async function deferred(ctx: BenchContext): Promise<BenchResult> {
  const agentsCount = ctx.quick ? 250 : 1000;
  const rounds = ctx.quick ? 1 : 3;
  const dir = subDir(ctx, 'deferred');
  const { server, client: redis } = await privateRedis();
  const fake = await fakeAmi();
  const agents = makeAgents(agentsCount);
  seedPbx(fake, agents);
  const daemon = await startDaemon({
    name: 'daemon-deferred',
    workDir: dir,
    redisUrl: server.url,
    amiPort: fake.port,
    nodeArgs: ctx.daemonNodeArgs,
  });
  const api = new Api(daemon.url, KEYS.admin);
  const keys = daemonKeys();
  const started = new Set<string>();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let expectedTo = '';
  let sse: SseThread | undefined;
  const onEvent = (e: SseEvent): void => {
    if (e.event === 'user.activity.started') {
      started.add(JSON.parse(e.data).userId as string);
    } else if (e.event === 'user.status.changed') {
      const data = JSON.parse(e.data) as { userId: string; to: string; cause: string };
      const sent = sentAt.get(data.userId);
      if (sent === undefined || data.cause !== 'deferred' || data.to !== expectedTo) return;
      sentAt.delete(data.userId);
      latencies.push(e.receivedAt - sent);
    }
  };
  try {
    await until(
      async () => (await api.call('GET', '/v1/pbx')).body?.connections?.[0]?.connected,
      'AMI connected',
    );
    await createAgents(api, agents);
    await waitSettled(api, redis, keys);
    sse = new SseThread(
      `${daemon.url}/v1/events`,
      KEYS.admin,
      ['user.activity.started', 'user.status.changed'],
      onEvent,
    );
    await sse.open();

    const results: RoundResult[] = [];
    let warmup: RoundResult | undefined;
    // Round 0 warms the daemon up (JIT, connection pools, first BullMQ delayed jobs) and is not in the latencies.
    for (let round = 0; round <= rounds; round++) {
      const upcoming = round % 2 === 0 ? 'on-break' : 'active';
      // 1. every agent on a call
      started.clear();
      for (const a of agents) fake.startChannel(channelOf(a, round));
      await until(() => started.size >= agents.length, `${agents.length} calls seen as activities`, 60_000);
      // 2. every agent picks the upcoming status (202: deferred while on the call)
      await forEachLimit(agents.length, 32, (i) =>
        api.expect('PUT', `/v1/users/${(agents[i] as Agent).id}/status`, { statusId: upcoming }, [202]),
      );
      await waitSettled(api, redis, keys);
      // 3. hang up at RATE per second; the SSE handler takes the times
      latencies.length = 0;
      sentAt.clear();
      expectedTo = upcoming;
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const meter = new CpuMeter({ daemon: daemon.pid });
      await paced(agents.length, RATE, (i) => {
        const a = agents[i] as Agent;
        fake.hangupChannel(channelOf(a, round).uniqueid);
        sentAt.set(a.id, now());
      });
      await until(() => sentAt.size === 0, 'every deferred status event', 15_000).catch(() => undefined);
      loop.disable();
      await waitSettled(api, redis, keys);
      const daemonCpu = meter.read().daemon ?? 0;
      const r: RoundResult = {
        sent: agents.length,
        received: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        benchLoopDelayP99: loop.percentile(99) / 1e6,
        daemonCpuMsPerCallEnd: (daemonCpu * 1000) / agents.length,
      };
      if (round === 0) warmup = r;
      else results.push(r);
      ctx.log(
        `deferred ${round === 0 ? 'warm-up round' : `round ${round}`}: ${r.received}/${r.sent} events, p50 ${round2(r.p50)} ms, p99 ${round2(r.p99)} ms, max ${round2(r.max)} ms ` +
          `(bench event-loop delay p99 ${round2(r.benchLoopDelayP99)} ms), daemon CPU ${round2(r.daemonCpuMsPerCallEnd)} ms per call end incl. sync`,
      );
    }

    const metrics = String((await api.call('GET', '/metrics')).body);
    const eventToApply = {
      sum: Number(/^pb_pbx_event_to_apply_seconds_sum\S* (\S+)$/m.exec(metrics)?.[1] ?? NaN),
      count: Number(/^pb_pbx_event_to_apply_seconds_count\S* (\S+)$/m.exec(metrics)?.[1] ?? NaN),
    };
    ctx.log(
      `deferred: daemon-side PBX event → applied mean ${round2((1000 * eventToApply.sum) / eventToApply.count)} ms over ${eventToApply.count} events`,
    );
    const baseline = await pubSubRoundTrip(server.url, agents.length * rounds);
    ctx.log(`deferred baseline: redis pub/sub p50 ${round2(baseline.p50)} ms p99 ${round2(baseline.p99)} ms`);

    const missed = [...results, ...(warmup ? [warmup] : [])].reduce((s, r) => s + (r.sent - r.received), 0);
    const p99 = median(results.map((r) => r.p99));
    const bench = `2. call end → deferred status, ${RATE}/s`;
    const rows: Row[] = [
      {
        bench,
        metric: `latency p99 (median of ${rounds} rounds × ${agentsCount} agents)`,
        value: `${round2(p99)} ms`,
        baseline: `${round2(baseline.p99)} ms`,
        ratio: `${round(p99 / baseline.p99, 1)}×`,
        goal: 'p99 ≤ 10 ms',
        met: p99 <= 10,
      },
      {
        bench,
        metric: 'latency p50',
        value: `${round2(median(results.map((r) => r.p50)))} ms`,
        baseline: `${round2(baseline.p50)} ms`,
      },
      {
        bench,
        metric: 'daemon CPU per call end (incl. PBX sync)',
        value: `${round2(median(results.map((r) => r.daemonCpuMsPerCallEnd)))} ms`,
      },
      {
        bench,
        metric: 'events missed',
        value: `${missed} of ${agentsCount * (rounds + 1)}`,
        goal: 'none',
        met: missed === 0,
      },
    ];
    return {
      name: 'deferred',
      rows,
      data: { rate: RATE, agents: agentsCount, rounds, results, warmup, baseline, eventToApply },
    };
  } finally {
    await sse?.close();
    api.close();
    await daemon.stop();
  }
}

function round2(x: number): number {
  return round(x, 2);
}

/** PUBLISH → SUBSCRIBE round trip on loopback at RATE per second, `count` messages. */
async function pubSubRoundTrip(url: string, count: number): Promise<{ p50: number; p99: number }> {
  const pub = new Redis(url);
  const sub = new Redis(url);
  try {
    const sent = new Map<number, number>();
    const rtts: number[] = [];
    sub.on('message', (_channel: string, message: string) => {
      const at = sent.get(Number(message));
      if (at !== undefined) rtts.push(performance.now() - at);
    });
    await sub.subscribe('bench-rtt');
    await paced(count, RATE, (i) => {
      sent.set(i, performance.now());
      void pub.publish('bench-rtt', String(i));
    });
    await until(() => rtts.length >= count, 'pub/sub messages', 10_000);
    return { p50: percentile(rtts, 50), p99: percentile(rtts, 99) };
  } finally {
    pub.disconnect();
    sub.disconnect();
  }
}
