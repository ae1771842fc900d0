/**
 * 3CX faults: once the daemon (a child process) is connected, the fake 3CX answers about 30 % of HTTP requests —
 * token, XAPI and Call Control alike — with a 5xx, a 429 with Retry-After, or no answer at all (the request hangs
 * until the daemon's request timeout). N users change statuses a few times each; every one of them must converge:
 * the fake's profile and queue status equal what the final status type wants, and the user's `pbx.sync.state` is
 * in-sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll } from '../daemon/cli-process.js';
import { Fake3cxServer, type Fault } from '../fakes/fake-3cx-server.js';
import { KEYS } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort, TestRedis } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import {
  ChildDaemon,
  allUsers,
  call,
  figure,
  must,
  pace,
  size,
  statusTypes,
  threeCxMismatch,
  waitPbxConnected,
  type Json,
} from './support.js';

const USERS = size(20, 50);
const CHANGES_PER_USER = size(4, 8);
const PICKS = ['active', 'idle', 'on-break', 'offline'];
const ext = (i: number) => String(201 + i);

/**
 * A path pattern that matches at random: given to `fail()` with unlimited `times`, it makes the fault hit a share
 * of all requests instead of the next few. Counts its hits.
 */
class Chance extends RegExp {
  hits = 0;
  constructor(private readonly probability: number) {
    super('.*');
  }
  override test(): boolean {
    const hit = Math.random() < this.probability;
    if (hit) this.hits += 1;
    return hit;
  }
}

let redis: TestRedis;
let fake: Fake3cxServer;
beforeAll(async () => {
  redis = await new TestRedis().start();
  fake = await Fake3cxServer.start();
  for (let i = 0; i < USERS; i++)
    fake.addUser(ext(i), { CurrentProfileName: 'Out of office', QueueStatus: 'LoggedOut' });
});
afterAll(async () => {
  await killAll();
  await fake?.stop();
  await redis?.destroy();
});

describe('3CX answering 30 % of requests with 5xx, 429 or nothing', () => {
  it('brings every user to the desired profile and queue status', async () => {
    const daemon = new ChildDaemon({
      redisUrl: redis.url,
      prefix: uniquePrefix('3cx-faults'),
      port: await freePort(),
      sections: { sync: { backoffMs: 100, attempts: 10, reconcileIntervalSeconds: 10 } },
      pbx: [
        {
          id: 'hq',
          kind: '3cx',
          url: fake.url,
          clientId: fake.clientId,
          clientSecret: fake.clientSecret,
          requestTimeoutMs: 1_000,
          presencePollIntervalMs: 2_000,
          backoff: { initialMs: 50, maxMs: 500 },
        },
      ],
    });
    const base = daemon.base;
    await daemon.start();
    await waitPbxConnected(base);
    for (let i = 0; i < USERS; i++) {
      await must(base, 'PUT', `/v1/users/u${i}`, {
        displayName: `U${i}`,
        pbx: { connection: 'hq', extension: ext(i) },
      });
      await must(base, 'POST', `/v1/users/u${i}/shift`, {});
    }
    const types = await statusTypes(base);

    // From here on, about 30 % of requests fail: 5 % 500, 5 % 503, 10 % 429, 10 % hang (tested in this order).
    const faults: Array<[string, Chance, Fault]> = [
      ['500', new Chance(0.05), { status: 500, body: { error: { code: '', message: 'boom' } } }],
      ['503', new Chance(0.05 / 0.95), { status: 503 }],
      ['429', new Chance(0.1 / 0.9), { status: 429, headers: { 'Retry-After': '1' } }],
      ['hang', new Chance(0.1 / 0.8), { hang: true }],
    ];
    const requestsBefore = fake.requests.length;
    for (const [, chance, fault] of faults) fake.fail(chance, fault, { times: Infinity });

    const changedAt = Date.now();
    let changes = 0;
    await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        for (let n = 0; n < CHANGES_PER_USER; n++) {
          await pace(50, 500);
          const statusId = PICKS[Math.floor(Math.random() * PICKS.length)] as string;
          const reply = await call(base, KEYS.admin, 'PUT', `/v1/users/u${i}/status`, { statusId });
          expect(reply.status, JSON.stringify(reply.body)).toBe(200);
          changes += 1;
        }
      }),
    );

    let problems: string[] = [];
    const converged = async () => {
      const users = await allUsers(base);
      problems = users.flatMap((u: Json) => {
        const mismatch = threeCxMismatch(fake, u.pbx.extension, types.get(u.status.id)!);
        if (mismatch) return [`${u.id}: ${mismatch}`];
        return u.pbx.sync.state === 'in-sync' ? [] : [`${u.id}: sync ${u.pbx.sync.state}`];
      });
      return problems.length === 0;
    };
    await waitFor(converged, {
      timeoutMs: size(60_000, 90_000),
      intervalMs: 250,
      what: 'every user converged',
    }).catch(
      () => undefined, // `problems` says what is left
    );
    const convergedMs = Date.now() - changedAt;
    const requests = fake.requests.length - requestsBefore;
    const failed = faults.map(([name, chance]) => `${chance.hits} ${name}`).join(', ');
    const hits = faults.reduce((sum, [, chance]) => sum + chance.hits, 0);

    figure(
      `3cx-faults: ${USERS} users, ${changes} status changes; ${hits} of ${requests} 3CX requests failed ` +
        `(${Math.round((hits / requests) * 100)} %: ${failed}); converged ${(convergedMs / 1000).toFixed(1)} s ` +
        `after the first change; ${problems.length} stuck`,
    );
    expect(problems, 'users not converged').toEqual([]);
    expect(hits / requests).toBeGreaterThan(0.2);
    expect(daemon.cli?.isRunning).toBe(true);
  });
});
