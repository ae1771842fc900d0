/**
 * A ringing phone is an offer, not a call — through the daemon, against the fake AMI server playing whole FreePBX
 * call scripts (ami-calls.ts): a ringall queue call offered to two agents and answered by one, a break picked by the
 * other while the phones ring, ring-no-answer moving an agent after status.missedOffers.threshold, a feature code,
 * an outgoing call, and what the report makes of it (missed offers, occupancy from answered time only).
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AmiCalls } from '../fakes/ami-calls.js';
import { FakeAmiServer } from '../fakes/fake-ami-server.js';
import { SseClient } from '../events/sse-client.js';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';

describe('FreePBX offers through the bridge', () => {
  let fake: FakeAmiServer;
  let calls: AmiCalls;
  let d: TestDaemon;
  let sse: SseClient | undefined;
  /** The daemon's clock runs `skew` ms ahead of real time: tests move it forward to make time pass. */
  let skew = 0;
  const pass = (seconds: number) => (skew += seconds * 1000);

  beforeEach(async () => {
    skew = 0;
    fake = await new FakeAmiServer().start();
    calls = new AmiCalls(fake);
    seedExtensions(fake, ['1001', '1002']);
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      clock: () => new Date(Date.now() + skew),
      config: {
        status: { wrapUpSeconds: 30, missedOffers: { threshold: 2, statusId: 'idle' } },
        sync: { backoffMs: 20, attempts: 50 },
        pbx: [freepbxConnection(fake)],
      },
    });
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'AMI connected',
    });
    for (const [id, extension] of [
      ['u1', '1001'],
      ['u2', '1002'],
    ] as const) {
      await d.request('admin', 'PUT', `/v1/users/${id}`, {
        displayName: id,
        pbx: { connection: 'main', extension },
        queues: ['400'],
      });
      await d.request('admin', 'POST', `/v1/users/${id}/shift`, {});
    }
  });
  afterEach(async () => {
    sse?.close();
    sse = undefined;
    await d.stop();
    await fake.stop();
  });

  const user = async (id: string) => (await d.request('admin', 'GET', `/v1/users/${id}`)).body;
  type User = Awaited<ReturnType<typeof user>>;
  const until = async (id: string, check: (u: User) => boolean, what: string) =>
    waitFor(
      async () => {
        const u = await user(id);
        return check(u) ? u : null;
      },
      { what },
    );

  it('ringall: both are offered the call; a break picked during the ring applies at once; only the answerer has the call and its wrap-up', async () => {
    sse = await SseClient.connect(`${d.url}/v1/events?users=u2`, { key: KEYS.admin });
    const call = calls.queueCall('400', ['1001', '1002']).ring();
    const ringing = await until('u2', (u) => u.offer !== null, 'u2 offered the call');
    expect(ringing.offer).toEqual({ since: expect.any(String), source: 'freepbx:main' });
    expect(ringing.activities).toEqual([]);
    await until('u1', (u) => u.offer !== null, 'u1 offered the call');

    const onBreak = await d.request('agent2', 'PUT', '/v1/users/u2/status', { statusId: 'on-break' });
    expect(onBreak.status).toBe(200);
    expect(onBreak.body).toMatchObject({
      applied: true,
      user: { status: { id: 'on-break' }, upcoming: null },
    });

    call.answer('1001');
    const talking = await until('u1', (u) => u.activities.length === 1, 'u1 on the call');
    expect(talking).toMatchObject({
      offer: null,
      activities: [{ id: call.linkedid, source: 'freepbx:main' }],
    });
    await until('u2', (u) => u.offer === null, 'u2 no longer offered');

    call.hangUp();
    const after = await until('u1', (u) => u.activities.length === 0, 'u1 call ended');
    expect(after.wrapUp).toMatchObject({ activityId: call.linkedid });
    await d.daemon.parts!.pbx.inboundOf('main')!.idle();
    expect(await user('u2')).toMatchObject({
      activities: [],
      wrapUp: null,
      offer: null,
      status: { id: 'on-break' },
    });

    const types = sse.events.filter((e) => e.json.userId === 'u2').map((e) => e.event);
    expect(types).toContain('user.offer.started');
    expect(types).toContain('user.offer.ended');
    expect(types).not.toContain('user.activity.started');
    expect(types).not.toContain('user.offer.missed'); // answered elsewhere is not missed
  });

  it('ring-no-answer: after two missed offers in a row the agent is moved (cause missed-offer); the report counts them', async () => {
    const day = new Date(Date.now() + skew);
    const first = calls.queueCall('400', ['1001']).ring();
    await until('u1', (u) => u.offer !== null, 'first offer');
    pass(15);
    first.ringNoAnswer();
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/users/u1')).body.offer === null, {
      what: 'first offer over',
    });
    expect((await user('u1')).status.id).toBe('active');

    const second = calls.queueCall('400', ['1001']).ring();
    await until('u1', (u) => u.offer !== null, 'second offer');
    pass(15);
    second.ringNoAnswer();
    const moved = await until('u1', (u) => u.status.id === 'idle', 'moved after two missed offers');
    expect(moved.status.cause).toBe('missed-offer');
    const history = (await d.request('admin', 'GET', '/v1/users/u1/history')).body.items;
    expect(history[0]).toMatchObject({ statusId: 'idle', cause: 'missed-offer' });
    await waitFor(() => fake.member('400', 'Local/1001@from-queue/n')?.paused === true, {
      what: 'Idle (no queue calls) paused in queue 400',
    });

    // An answered call: 10 s ringing, 60 s talking. Occupancy counts the talk only.
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
    const answered = calls.queueCall('400', ['1001']).ring();
    await until('u1', (u) => u.offer !== null, 'third offer');
    pass(10);
    answered.answer('1001');
    await until('u1', (u) => u.activities.length === 1, 'answered');
    pass(60);
    answered.hangUp();
    await until('u1', (u) => u.activities.length === 0, 'call over');

    const from = new Date(day.getTime() - 60_000).toISOString();
    const to = new Date(day.getTime() + 3_600_000).toISOString();
    const report = (
      await d.request('supervisor', 'GET', `/v1/reports/time-in-status?from=${from}&to=${to}&userId=u1`)
    ).body.users[0];
    expect(report.missedOffers).toBe(2);
    const talkSeconds = 60;
    expect(report.occupancy * report.loggedInSeconds).toBeGreaterThanOrEqual(talkSeconds - 1);
    expect(report.occupancy * report.loggedInSeconds).toBeLessThan(talkSeconds + 5); // not the 10 s of ringing
  });

  it('a missed offer does not count on a break, and an answered call starts the count again', async () => {
    sse = await SseClient.connect(`${d.url}/v1/events?users=u1`, { key: KEYS.admin });
    const offersEnded = (n: number) => sse!.count(n, (e) => e.event === 'user.offer.ended');
    calls.queueCall('400', ['1001']).ring().ringNoAnswer();
    await offersEnded(1);
    const answered = calls.queueCall('400', ['1001']).ring().answer('1001');
    await offersEnded(2);
    answered.hangUp();
    await until('u1', (u) => u.wrapUp !== null, 'in wrap-up');
    await d.request('agent', 'DELETE', '/v1/users/u1/wrap-up');
    calls.queueCall('400', ['1001']).ring().ringNoAnswer();
    await offersEnded(3);
    expect((await user('u1')).status.id).toBe('active'); // missed, answered, missed: never two in a row
    expect(sse.ofType('user.offer.missed').map((e) => e.json.consecutive)).toEqual([1, 1]);

    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    calls.directCall('1001').ringOut();
    calls.directCall('1001').ringOut();
    await offersEnded(5);
    expect((await user('u1')).status.id).toBe('on-break');
    expect(sse.ofType('user.offer.missed')).toHaveLength(2); // rang out on a break: not a missed offer
  });

  it('a feature code is never an activity; a call dialled out is one at once (and a status picked then waits)', async () => {
    calls.featureCode('1001', '*76');
    calls.featureCode('1001', '*45');
    const out = calls.outboundCall('1001', '0612345678');
    const dialling = await until('u1', (u) => u.activities.length === 1, 'outgoing call is an activity');
    expect(dialling.activities[0]).toMatchObject({ id: out.phone.linkedid });
    expect(dialling.offer).toBeNull();
    const deferred = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    expect(deferred.status).toBe(202);
    out.answer().hangUp();
    const done = await until('u1', (u) => u.activities.length === 0, 'outgoing call over');
    expect(done.wrapUp).not.toBeNull(); // a real call: after-call work follows
    const history = (await d.request('admin', 'GET', '/v1/users/u1/history')).body.items;
    expect(history.some((s: { cause: string }) => s.cause === 'deferred')).toBe(false); // still in wrap-up
  });

  it('after an AMI outage, a ringing call is an offer again and one that stopped meanwhile is gone', async () => {
    const call = calls.directCall('1001');
    await until('u1', (u) => u.offer !== null, 'offered');
    await fake.refuse();
    await waitFor(async () => !(await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'seen down',
    });
    fake.channels.delete(call.phone.uniqueid); // stopped ringing while we could not hear it
    const ringing = calls.directCall('1002');
    await fake.accept();
    await until('u1', (u) => u.offer === null, 'stale offer ended by the reconcile');
    await until('u2', (u) => u.offer !== null, 'offer found by the reconcile');
    expect((await user('u2')).activities).toEqual([]);
    ringing.answer();
    await until('u2', (u) => u.activities.length === 1, 'answered after the outage');
  });
});
