/**
 * Redis restart: Redis (AOF on) is stopped and started again on the same port in the middle of the mixed load of
 * load.ts, while the daemon (a child process) stays up. Every request sent meanwhile, by the load and by a probe
 * that reads, writes and lists, is timed:
 * - while Redis is away, /v1 answers 503 NOT_READY within 2 s: no request hangs, none gets another 5xx;
 * - /health/ready is 503 while Redis is away and 200 again within 5 s of Redis accepting connections;
 * - the daemon process never restarts, and afterwards nothing acknowledged is lost and everything settles
 *   (calls that ended during the outage end, deferred statuses apply, the fake PBX matches).
 */
import { describe, expect, it } from 'vitest';
import { KEYS } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import {
  agentKeys,
  enrol,
  freepbx,
  loadUsers,
  runLoad,
  Selections,
  unsettled,
  type LoadCounters,
  useLoadRig,
} from './load.js';
import {
  ChildDaemon,
  call,
  figure,
  pace,
  size,
  statusTypes,
  waitPbxConnected,
  type Reply,
} from './support.js';

const OUTAGES = size(1, 3);
const OUTAGE_MS = size(3_000, 5_000);
const LOAD_MS = size(12_000, 45_000);
const PROMPT_MS = 2_000;
const RECOVER_MS = 5_000;
const CONNECTION_TIMEOUT_SECONDS = 5;

const users = loadUsers('redis', { callers: 6, heartbeaters: 2 });

interface Timed {
  what: string;
  sentAt: number;
  doneAt: number;
  reply: Reply;
}

interface Outage {
  stopAt: number;
  stoppedAt: number;
  restartedAt: number;
  /** When /health/ready answered 200 again. */
  readyAt: number;
  /** When the PBX connection was held and connected again. */
  pbxAt: number;
}

const rig = useLoadRig(users, { appendOnly: true });

describe('Redis restart under load', () => {
  it('answers 503 NOT_READY promptly while Redis is away, recovers, and loses nothing', async () => {
    const daemon = new ChildDaemon({
      redisUrl: rig.redis.url,
      prefix: uniquePrefix('redis-restart'),
      port: await freePort(),
      keys: agentKeys(users),
      sections: {
        redis: { commandTimeoutMs: 500 },
        status: { connectionTimeoutSeconds: CONNECTION_TIMEOUT_SECONDS },
      },
      pbx: [freepbx(rig.fake)],
    });
    const base = daemon.base;
    const first = await daemon.start();
    await waitPbxConnected(base);
    await enrol(base, users);
    const types = await statusTypes(base);

    const timed: Timed[] = [];
    const observe = (sentAt: number, reply: Reply, what: string) =>
      timed.push({ what, sentAt, doneAt: Date.now(), reply });
    const outages: Outage[] = [];
    const startedAt = Date.now();
    const until = startedAt + LOAD_MS;

    // A probe beside the load: a read, a list and a write, round after round.
    const probe = async () => {
      const requests: Array<[string, string, string, unknown?]> = [
        ['GET user', 'GET', '/v1/users/c0'],
        ['GET users', 'GET', '/v1/users?limit=50'],
        ['GET status-types', 'GET', '/v1/status-types'],
        ['PUT directory', 'PUT', '/v1/users/probe', { displayName: 'Probe' }],
      ];
      while (Date.now() < until) {
        for (const [what, method, path, body] of requests) {
          const sentAt = Date.now();
          observe(sentAt, await call(base, KEYS.admin, method, path, body, PROMPT_MS + 3_000), what);
        }
        await pace(50, 100);
      }
    };

    const restarter = async () => {
      for (let k = 0; k < OUTAGES; k++) {
        const at = startedAt + (LOAD_MS * (k + 0.3)) / OUTAGES;
        await pace(at - Date.now(), at - Date.now());
        const stopAt = Date.now();
        await rig.redis.stop(); // SIGTERM: Redis writes its AOF and exits
        const stoppedAt = Date.now();
        const ready = await call(base, null, 'GET', '/health/ready', undefined, PROMPT_MS + 3_000);
        expect(ready.status, `/health/ready while Redis is away: ${JSON.stringify(ready.body)}`).toBe(503);
        expect(ready.ms).toBeLessThan(PROMPT_MS);
        await pace(OUTAGE_MS, OUTAGE_MS);
        await rig.redis.start();
        const restartedAt = Date.now();
        await waitFor(
          async () => (await call(base, null, 'GET', '/health/ready', undefined, 1_000)).status === 200,
          {
            timeoutMs: RECOVER_MS + 5_000,
            intervalMs: 50,
            what: '/health/ready 200 after Redis came back',
          },
        );
        const readyAt = Date.now();
        // The PBX lease lapsed while Redis was away: the daemon must take the connection again by itself.
        await waitPbxConnected(base, 10_000);
        outages.push({ stopAt, stoppedAt, restartedAt, readyAt, pbxAt: Date.now() });
      }
    };

    const selections = new Selections();
    const counters: LoadCounters = { selections: 0, calls: 0, heartbeats: 0 };
    const options = {
      base,
      fake: rig.fake,
      selections,
      picks: ['active', 'idle', 'on-break'],
      until,
      counters,
      observe,
    };
    await runLoad(users, options, [probe(), restarter()]);

    // Requests that overlapped an outage (sent before its readiness came back, answered after Redis was stopped).
    const during = timed.filter((t) => outages.some((o) => t.sentAt < o.readyAt && t.doneAt >= o.stopAt));
    const away = during.filter((t) =>
      outages.some((o) => t.sentAt >= o.stoppedAt && t.doneAt <= o.restartedAt),
    );
    const slow = during.filter((t) => t.reply.ms >= PROMPT_MS || t.reply.status === 0);
    const wrong = during.filter((t) => t.reply.status >= 500 && t.reply.body?.error?.code !== 'NOT_READY');
    const notRefused = away.filter(
      (t) => t.reply.status !== 503 || t.reply.body?.error?.code !== 'NOT_READY',
    );

    const connectionDueAt = Date.now() + (CONNECTION_TIMEOUT_SECONDS + 1) * 1000;
    let problems: string[] = [];
    await waitFor(
      async () => (problems = await unsettled(base, rig.fake, types, users, connectionDueAt)).length === 0,
      { timeoutMs: 60_000, intervalMs: 250, what: 'every user settled' },
    ).catch(() => undefined); // `problems` says what is left
    const verdict = await selections.verify(base);

    const maxMs = Math.max(...during.map((t) => t.reply.ms));
    const recovery = outages.map((o) => o.readyAt - o.restartedAt);
    figure(
      `redis-restart: ${outages.length} restarts of ${OUTAGE_MS / 1000} s, ${away.length} requests while away ` +
        `all 503 NOT_READY, max latency ${Math.round(maxMs)} ms over ${during.length} requests in the outages, ` +
        `ready again after max ${Math.max(...recovery)} ms, PBX link back after max ` +
        `${Math.max(...outages.map((o) => o.pbxAt - o.restartedAt))} ms; ${verdict.acknowledged} acknowledged changes, ` +
        `${verdict.lost.length} lost, ${problems.length} stuck`,
    );
    const show = (list: Timed[]) =>
      list
        .slice(0, 10)
        .map((t) => `${t.what}: ${t.reply.status} in ${Math.round(t.reply.ms)} ms ${t.reply.error ?? ''}`);
    expect(away.length).toBeGreaterThan(10);
    expect(show(slow), 'requests that hung or took 2 s or more during an outage').toEqual([]);
    expect(show(wrong), 'other 5xx during an outage').toEqual([]);
    expect(show(notRefused), 'requests while Redis was away that were not 503 NOT_READY').toEqual([]);
    expect(Math.max(...recovery)).toBeLessThan(RECOVER_MS);
    expect(daemon.started).toEqual([first]);
    expect(first.isRunning).toBe(true);
    expect(verdict.lost, 'acknowledged changes missing from the history').toEqual([]);
    expect(problems, 'users not settled').toEqual([]);
  });
});
