/**
 * Benchmark 5: status change → webhook delivered. The built daemon sends user.status.changed to one endpoint, a
 * real HTTP receiver on loopback (test/webhooks/receiver.ts on its own thread, answering 204 at once). Status
 * changes arrive at RATE per second (PUT /v1/users/{id}/status, each user's status alternating so every request
 * is a change) for some seconds. Lag = arrival time at the receiver − the event's commit time (the payload's
 * `timestamp`; one clock, loopback). Also: throughput delivered, order per user, and the PUT latency with the
 * endpoint against the same load before the endpoint existed (baseline): delivery is never in a change's path.
 */
import { privateRedis, subDir, type BenchContext, type BenchResult, type Row } from '../lib/context.js';
import { Api, forEachLimit, until } from '../lib/http.js';
import { CpuMeter, KEYS, startDaemon } from '../lib/procs.js';
import { ReceiverThread, type Arrival } from '../lib/receiver-thread.js';
import { percentile, round } from '../lib/stats.js';

const RATE = 1_000; // status changes per second
const USERS = 500;
const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;

interface Phase {
  sent: number;
  failures: number;
  putP50: number;
  putP99: number;
  cpuMsPerChange: number;
}

/** `seconds` of status changes at RATE/s, round-robin over the users; `round` picks the statuses. */
async function changes(api: Api, ids: string[], seconds: number, round: number, pid: number): Promise<Phase> {
  const count = RATE * seconds;
  const putMs: number[] = [];
  let failures = 0;
  const meter = new CpuMeter({ daemon: pid });
  const inflight = new Set<Promise<void>>();
  const start = performance.now();
  for (let i = 0; i < count;) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * RATE) / 1000) + 1);
    for (; i < due; i++) {
      const user = ids[i % ids.length] as string;
      const statusId = (Math.floor(i / ids.length) + round) % 2 === 0 ? 'on-break' : 'active';
      const t0 = performance.now();
      const p = api.call('PUT', `/v1/users/${user}/status`, { statusId }).then(
        (res) => {
          putMs.push(performance.now() - t0);
          if (res.status !== 200) failures += 1;
        },
        () => void (failures += 1),
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const cpu = meter.read().daemon ?? 0;
  return {
    sent: count,
    failures,
    putP50: percentile(putMs, 50),
    putP99: percentile(putMs, 99),
    cpuMsPerChange: (cpu * 1000) / count,
  };
}

export async function webhooks(ctx: BenchContext): Promise<BenchResult> {
  const seconds = ctx.quick ? 5 : 10;
  const dir = subDir(ctx, 'webhooks');
  const { server } = await privateRedis();
  const receiver = new ReceiverThread();
  await receiver.start();
  const daemon = await startDaemon({
    name: 'daemon-webhooks',
    workDir: dir,
    redisUrl: server.url,
    nodeArgs: ctx.daemonNodeArgs,
    config: { webhooks: { allow: ['127.0.0.1'] } },
  });
  const api = new Api(daemon.url, KEYS.admin, 128);
  try {
    const ids = Array.from({ length: USERS }, (_, i) => `wb-${i}`);
    await forEachLimit(ids.length, 32, (i) =>
      api.expect('PUT', `/v1/users/${ids[i] as string}`, { displayName: ids[i] }, [200, 201]),
    );
    await forEachLimit(ids.length, 32, (i) =>
      api.expect('PUT', `/v1/users/${ids[i] as string}/status`, { statusId: 'active' }, [200]),
    );
    // Baseline: the same load without any endpoint.
    const baseline = await changes(api, ids, seconds, 0, daemon.pid);
    ctx.log(
      `webhooks baseline (no endpoint): PUT p50 ${round(baseline.putP50, 2)} ms p99 ${round(baseline.putP99, 2)} ms`,
    );

    await api.expect(
      'POST',
      '/v1/webhooks',
      { id: 'bench', url: receiver.url, events: ['user.status.changed'], secret: SECRET },
      [201],
    );
    // Warm-up: one change per user (the baseline left everyone Active), delivered before the measured run.
    await forEachLimit(ids.length, 32, (i) =>
      api.expect('PUT', `/v1/users/${ids[i] as string}/status`, { statusId: 'on-break' }, [200]),
    );
    await until(() => receiver.delivered().length >= USERS, 'warm-up deliveries', 60_000);
    receiver.arrivals.length = 0;

    const measured = await changes(api, ids, seconds, 1, daemon.pid); // round 1 starts with Active
    const expected = measured.sent - measured.failures;
    await until(() => receiver.delivered().length >= expected, `${expected} deliveries`, 120_000).catch(
      () => undefined,
    );
    const got = receiver.delivered();
    const lags = got.map((a) => a.receivedAt - a.committedAt);
    const firstCommit = Math.min(...got.map((a) => a.committedAt));
    const lastArrival = Math.max(...got.map((a) => a.receivedAt));
    const deliveredPerSecond = got.length / ((lastArrival - firstCommit) / 1000);
    const outOfOrder = countOutOfOrder(got);
    const result = {
      rate: RATE,
      seconds,
      users: USERS,
      baseline,
      measured,
      delivered: got.length,
      expected,
      duplicates: receiver.arrivals.length - got.length,
      unsigned: got.filter((a) => !a.signed).length,
      lagP50: percentile(lags, 50),
      lagP99: percentile(lags, 99),
      lagMax: Math.max(...lags),
      deliveredPerSecond,
      outOfOrder,
    };
    ctx.log(
      `webhooks: ${got.length}/${expected} delivered, lag p50 ${round(result.lagP50, 1)} ms p99 ${round(result.lagP99, 1)} ms ` +
        `max ${round(result.lagMax, 1)} ms, ${round(deliveredPerSecond, 0)} deliveries/s; PUT p50 ${round(measured.putP50, 2)} ms ` +
        `p99 ${round(measured.putP99, 2)} ms; daemon CPU ${round(measured.cpuMsPerChange, 2)} ms per change incl. delivery ` +
        `(${round(baseline.cpuMsPerChange, 2)} ms without); ${outOfOrder} users out of order, ${result.duplicates} duplicates`,
    );
    const bench = `5. status change → webhook, ${RATE}/s × ${seconds} s`;
    const rows: Row[] = [
      {
        bench,
        metric: 'delivery lag p99 (commit → receiver)',
        value: `${round(result.lagP99, 1)} ms`,
        goal: 'p99 ≤ 1 s',
        met: result.lagP99 <= 1_000,
      },
      { bench, metric: 'delivery lag p50', value: `${round(result.lagP50, 1)} ms` },
      {
        bench,
        metric: 'throughput delivered',
        value: `${round(deliveredPerSecond, 0)}/s`,
        goal: `≥ ${RATE * 0.95}/s`,
        met: deliveredPerSecond >= RATE * 0.95,
      },
      {
        bench,
        metric: 'delivered, in order per user',
        // A PUT that timed out may still have committed: its change is delivered too.
        value: `${got.length} of ${expected} acknowledged (${measured.failures} PUTs failed), ${outOfOrder} users out of order`,
        goal: 'all, in order',
        met: got.length >= expected && outOfOrder === 0,
      },
      {
        bench,
        metric: 'PUT status latency p99 (baseline: no endpoint)',
        value: `${round(measured.putP99, 2)} ms`,
        baseline: `${round(baseline.putP99, 2)} ms`,
        ratio: `${round(measured.putP99 / baseline.putP99, 1)}×`,
      },
      {
        bench,
        metric: 'daemon CPU per change (baseline: no endpoint)',
        value: `${round(measured.cpuMsPerChange, 2)} ms`,
        baseline: `${round(baseline.cpuMsPerChange, 2)} ms`,
      },
    ];
    return { name: 'webhooks', rows, data: result };
  } finally {
    api.close();
    await daemon.stop();
    await receiver.stop();
  }
}

/** Users whose deliveries arrived in an order other than their commit order. */
function countOutOfOrder(got: Arrival[]): number {
  const last = new Map<string, number>();
  const bad = new Set<string>();
  for (const a of got) {
    const user = a.userId ?? '';
    if ((last.get(user) ?? 0) > a.committedAt) bad.add(user);
    last.set(user, a.committedAt);
  }
  return bad.size;
}
