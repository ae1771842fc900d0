/**
 * Bad input, generated with fast-check (malformed.ts), against a daemon running as a child process:
 * - HTTP: requests for every route of the served OpenAPI document (GET /docs/json) with malformed methods, ids,
 *   queries, headers and bodies, over a real socket. No 5xx, no request left without an answer, no crash; every
 *   refusal of the API is an error body {error: {code, message}}; and only 2xx answers change state: users and
 *   status types are compared before and after, and every entity that changed must have been the target of a 2xx.
 * - PBX: malformed AMI frames from the fake AMI server and malformed Call Control messages from the fake 3CX
 *   server's WebSocket. No crash, and the session recovers (or reconnects): a real call afterwards still begins
 *   and ends an activity.
 * FAULTS_SEED=<n> replays a run (the seed is in the figure line).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { killAll } from '../daemon/cli-process.js';
import { Fake3cxServer } from '../fakes/fake-3cx-server.js';
import { FakeAmiServer } from '../fakes/fake-ami-server.js';
import { KEYS } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import { freepbx, provision, QUEUE, type LoadUser } from './load.js';
import {
  amiFrameArb,
  requestArb,
  routesOf,
  sendRaw,
  serialize,
  threeCxMessageArb,
  type RawRequest,
  type RawResponse,
  type Route,
} from './malformed.js';
import { ChildDaemon, allUsers, call, figure, must, size, type Json } from './support.js';

const REQUESTS = size(3_000, 20_000);
const AMI_FRAMES = size(2_000, 10_000);
const CX_MESSAGES = size(2_000, 10_000);
const CONCURRENCY = 8;
const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));

const amiUser: LoadUser = { id: 'ami1', ext: '1001', key: '', role: 'caller', wrapUpSeconds: 0 };
const CX_EXT = '201';

let fakeAmi: FakeAmiServer;
let fake3cx: Fake3cxServer;
let daemon: ChildDaemon;
let base: string;
let port: number;
beforeAll(async () => {
  fakeAmi = await new FakeAmiServer().start();
  provision(fakeAmi, [amiUser]);
  fake3cx = await Fake3cxServer.start();
  fake3cx.addUser(CX_EXT);
  port = await freePort();
  daemon = new ChildDaemon({
    redisUrl: inject('redisUrl'),
    prefix: uniquePrefix('bad-input'),
    port,
    pbx: [
      freepbx(fakeAmi),
      {
        id: 'hq',
        kind: '3cx',
        url: fake3cx.url,
        clientId: fake3cx.clientId,
        clientSecret: fake3cx.clientSecret,
        requestTimeoutMs: 1_000,
        backoff: { initialMs: 50, maxMs: 500 },
      },
    ],
  });
  base = daemon.base;
  await daemon.start();
  await waitFor(
    async () =>
      (await call(base, KEYS.admin, 'GET', '/v1/pbx')).body?.connections.every((c: Json) => c.connected),
    { timeoutMs: 15_000, what: 'both PBX connections up' },
  );
});
afterAll(async () => {
  await killAll();
  await fakeAmi?.stop();
  await fake3cx?.stop();
});

describe('malformed input', () => {
  it('HTTP: no 5xx, no crash, and refused requests change nothing', async () => {
    // State worth refusing changes to: users with shifts, one on a call with an upcoming status; a custom type.
    await must(base, 'POST', '/v1/status-types', { id: 'lunch', name: 'Lunch', color: '#123456' });
    for (const id of ['u1', 'u2', 'f1']) {
      await must(base, 'PUT', `/v1/users/${id}`, { displayName: id, queues: [QUEUE] });
      await must(base, 'POST', `/v1/users/${id}/shift`, {});
    }
    await must(base, 'POST', '/v1/users/u1/activities', { id: 'c1', kind: 'call' });
    await must(base, 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });

    const document = await must(base, 'GET', '/docs/json');
    const routes = routesOf(document);
    expect(routes.length).toBeGreaterThan(20);
    const pools = {
      users: ['u1', 'u2', 'f1', 'nobody'],
      statusTypes: ['active', 'idle', 'on-break', 'offline', 'lunch', 'missing'],
      activities: ['c1', 'c2'],
    };
    const arb = fc.constantFrom(...routes).chain((route) => requestArb(route, pools));

    const before = await snapshot(base);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const notApiErrors: string[] = [];
    const touched = new Set<string>();
    const perRoute = new Map<Route, number>();
    let sent = 0;
    let maxMs = 0;
    const record = (request: RawRequest, response: RawResponse) => {
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      perRoute.set(request.route, (perRoute.get(request.route) ?? 0) + 1);
      maxMs = Math.max(maxMs, response.ms);
      const what = `${request.method} ${request.target.slice(0, 200)} → ${response.status} ${response.body.slice(0, 300)}`;
      if (response.status >= 500 || response.status <= 0) failures.push(what);
      // Refusals carry an API error body; HEAD answers have no body, and 417 is Node's own answer to an Expect
      // header it does not know (before any request handling).
      if (
        response.status >= 400 &&
        response.status < 500 &&
        request.method !== 'HEAD' &&
        response.status !== 417
      ) {
        const error = parse(response.body)?.error;
        if (
          typeof error?.code !== 'string' ||
          !/^[A-Z_]+$/.test(error.code) ||
          typeof error.message !== 'string'
        )
          notApiErrors.push(what);
      }
      if (response.status >= 200 && response.status < 300 && !['GET', 'HEAD'].includes(request.method)) {
        for (const id of Object.values(request.ids)) touched.add(decode(id));
        const body = parse(response.body);
        if (typeof body?.id === 'string') touched.add(body.id);
        // The catalogue import (PUT /v1/status-types) names no id in its path: it may change every type its
        // answer lists.
        for (const list of ['created', 'changed', 'deleted'])
          for (const entry of Array.isArray(body?.[list]) ? body[list] : [])
            if (typeof entry?.id === 'string') touched.add(entry.id);
      }
    };

    // Generated in chunks (some bodies are large), sent by a few connections at a time.
    const CHUNK = 500;
    for (let chunk = 0; chunk * CHUNK < REQUESTS; chunk++) {
      const requests = fc.sample(arb, {
        numRuns: Math.min(CHUNK, REQUESTS - chunk * CHUNK),
        seed: SEED + chunk,
      });
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < requests.length; i = next++) {
            const request = requests[i] as RawRequest;
            record(request, await sendRaw(port, serialize(request, `127.0.0.1:${port}`)));
            sent += 1;
          }
        }),
      );
      expect(daemon.cli?.isRunning, `the daemon exited\n${daemon.cli?.output.slice(-5_000)}`).toBe(true);
    }

    const after = await snapshot(base);
    const changedWithout2xx = [...new Set([...before.keys(), ...after.keys()])].filter(
      (key) => before.get(key) !== after.get(key) && !touched.has(key.slice(key.indexOf(' ') + 1)),
    );
    const counts = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${n}×${status}`)
      .join(' ');
    const twoXx = [...statuses.entries()]
      .filter(([s]) => s >= 200 && s < 300)
      .reduce((sum, [, n]) => sum + n, 0);
    figure(
      `bad-input http: ${sent} malformed requests over ${perRoute.size} of ${routes.length} routes (seed ${SEED}): ` +
        `${failures.length} 5xx or unanswered, 0 crashes, ${changedWithout2xx.length} entities changed without a 2xx ` +
        `(${twoXx} 2xx allowed to change ${touched.size}); max ${Math.round(maxMs)} ms; answers ${counts}`,
    );
    expect(failures, '5xx or no answer').toEqual([]);
    expect(notApiErrors, '4xx that are not {error: {code, message}}').toEqual([]);
    expect(changedWithout2xx, 'changed by requests that were refused').toEqual([]);
    expect(perRoute.size).toBe(routes.length);
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    expect((await call(base, null, 'GET', '/health/live')).status).toBe(200);
    expect(daemon.started).toHaveLength(1);
    expect(daemon.errors(), 'error lines in the daemon log').toEqual([]);
  });

  it('PBX: malformed AMI frames and 3CX messages crash nothing, and real calls are still seen', async () => {
    for (const [id, connection, extension] of [
      ['ami1', 'main', amiUser.ext],
      ['cx1', 'hq', CX_EXT],
    ]) {
      await must(base, 'PUT', `/v1/users/${id}`, { displayName: id, pbx: { connection, extension } });
      await must(base, 'POST', `/v1/users/${id}/shift`, {});
    }
    const reconnects = async () =>
      Object.fromEntries(
        (await must(base, 'GET', '/v1/pbx')).connections.map((c: Json) => [c.id, c.reconnects as number]),
      );
    const before = await reconnects();
    // Both links are up, so every frame and message below reaches the daemon.
    expect(fakeAmi.authenticatedSessions).toBe(1);
    expect(fake3cx.openSockets).toBe(1);

    let frames = 0;
    for (let chunk = 0; frames < AMI_FRAMES; chunk++) {
      const batch = fc.sample(amiFrameArb, {
        numRuns: Math.min(200, AMI_FRAMES - frames),
        seed: SEED + chunk,
      });
      for (let i = 0; i < batch.length; i += 20) {
        fakeAmi.sendRaw(batch.slice(i, i + 20).join(''));
        await new Promise((resolve) => setImmediate(resolve)); // let the daemon read between bursts
      }
      frames += batch.length;
    }
    fakeAmi.sendRaw('\r\n\r\n'); // whatever was left half-framed ends here, as every real Asterisk frame does
    let messages = 0;
    for (let chunk = 0; messages < CX_MESSAGES; chunk++) {
      const batch = fc.sample(threeCxMessageArb, {
        numRuns: Math.min(200, CX_MESSAGES - messages),
        seed: SEED + chunk,
      });
      for (const message of batch) fake3cx.sendRaw(message);
      await new Promise((resolve) => setImmediate(resolve));
      messages += batch.length;
    }
    expect(daemon.cli?.isRunning, `the daemon exited\n${daemon.cli?.output.slice(-5_000)}`).toBe(true);

    // Real calls afterwards: each must begin an activity and end it.
    const activities = async (id: string) =>
      (await must(base, 'GET', `/v1/users/${id}`)).activities as Json[];
    const leg = {
      channel: `PJSIP/${amiUser.ext}-0000beef`,
      uniqueid: '1900000001.1',
      linkedid: '1900000001.1',
    };
    fakeAmi.startChannel(leg);
    const participant = fake3cx.addParticipant(CX_EXT, { status: 'Connected' });
    await waitFor(async () => (await activities('ami1')).some((a) => a.id === leg.linkedid), {
      timeoutMs: 15_000,
      what: 'the AMI call after the garbage began an activity',
    });
    await waitFor(async () => (await activities('cx1')).some((a) => a.id === String(participant.callid)), {
      timeoutMs: 15_000,
      what: 'the 3CX call after the garbage began an activity',
    });
    fakeAmi.hangupChannel(leg.uniqueid);
    fake3cx.removeParticipant(CX_EXT, participant.id);
    await waitFor(
      async () => (await activities('ami1')).length === 0 && (await activities('cx1')).length === 0,
      {
        timeoutMs: 15_000,
        what: 'both calls ended',
      },
    );
    const after = await reconnects();

    figure(
      `bad-input pbx: ${frames} malformed AMI frames, ${messages} malformed 3CX messages (seed ${SEED}): 0 crashes, ` +
        `real calls still seen on both; reconnects during the garbage: AMI ${after.main - before.main}, ` +
        `3CX ${after.hq - before.hq}`,
    );
    expect(daemon.started).toHaveLength(1);
    expect(daemon.errors(), 'error lines in the daemon log').toEqual([]);
  });
});

/** "user <id>" / "type <id>" → version, for every user and status type. */
async function snapshot(base: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const u of await allUsers(base)) out.set(`user ${u.id}`, u.version);
  const types = await must(base, 'GET', '/v1/status-types');
  for (const t of Array.isArray(types) ? types : types.items) out.set(`type ${t.id}`, t.version);
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parse(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
