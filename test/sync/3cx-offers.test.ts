/**
 * A ringing phone is an offer on 3CX too — through the daemon, against the fake 3CX server's Call Control: a
 * ringall call ringing two agents (Ringing legs) and taken by one (Connected) while the other picks a break,
 * ring-no-answer moving an agent after status.missedOffers.threshold, and a Dialing leg (a call at once).
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { Fake3cxServer } from '../fakes/fake-3cx-server.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

describe('3CX offers through the bridge', () => {
  let fake: Fake3cxServer;
  let d: TestDaemon;

  beforeEach(async () => {
    fake = await Fake3cxServer.start();
    for (const dn of ['201', '202'])
      fake.addUser(dn, { CurrentProfileName: 'Available', QueueStatus: 'LoggedIn' });
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      config: {
        status: { wrapUpSeconds: 30, missedOffers: { threshold: 2, statusId: 'idle' } },
        sync: { backoffMs: 20, attempts: 50 },
        pbx: [
          {
            id: 'hq',
            kind: '3cx',
            url: fake.url,
            clientId: fake.clientId,
            clientSecret: fake.clientSecret,
            presencePollIntervalMs: 100,
            missedOfferGraceMs: 100,
            backoff: { initialMs: 20, maxMs: 200 },
          },
        ],
      },
    });
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: '3CX connected',
    });
    for (const [id, extension] of [
      ['u1', '201'],
      ['u2', '202'],
    ] as const) {
      await d.request('admin', 'PUT', `/v1/users/${id}`, {
        displayName: id,
        pbx: { connection: 'hq', extension },
      });
      await d.request('admin', 'POST', `/v1/users/${id}/shift`, {});
    }
  });
  afterEach(async () => {
    await d.stop();
    await fake.stop();
  });

  const user = async (id: string) => (await d.request('admin', 'GET', `/v1/users/${id}`)).body;
  type User = Awaited<ReturnType<typeof user>>;
  const until = (id: string, check: (u: User) => boolean, what: string) =>
    waitFor(
      async () => {
        const u = await user(id);
        return check(u) ? u : null;
      },
      { what },
    );

  it('ringall: both are offered; a break picked during the ring applies at once; only the one who answers has the call', async () => {
    const a = fake.addParticipant('201', { callid: 4000 });
    const b = fake.addParticipant('202', { callid: 4000 });
    await until('u1', (u) => u.offer !== null, 'u1 offered');
    const ringing = await until('u2', (u) => u.offer !== null, 'u2 offered');
    expect(ringing).toMatchObject({ offer: { source: '3cx:hq' }, activities: [] });

    const onBreak = await d.request('agent2', 'PUT', '/v1/users/u2/status', { statusId: 'on-break' });
    expect(onBreak.status).toBe(200);
    expect(onBreak.body.user.status.id).toBe('on-break');

    fake.setParticipantStatus('201', a.id, 'Connected');
    fake.removeParticipant('202', b.id);
    await until('u1', (u) => u.activities.length === 1 && u.offer === null, 'u1 on the call');
    await until('u2', (u) => u.offer === null, 'u2 no longer offered');
    fake.removeParticipant('201', a.id);
    const after = await until('u1', (u) => u.activities.length === 0, 'call over');
    expect(after.wrapUp).toMatchObject({ activityId: '4000' });
    expect(await user('u2')).toMatchObject({ activities: [], wrapUp: null, status: { id: 'on-break' } });
  });

  it('ring-no-answer: two ringing legs removed unanswered in a row move the agent (cause missed-offer)', async () => {
    for (const callid of [5000, 5001]) {
      const leg = fake.addParticipant('201', { callid });
      await until('u1', (u) => u.offer !== null, `offer ${callid}`);
      fake.removeParticipant('201', leg.id);
      await until('u1', (u) => u.offer === null, `offer ${callid} over`);
    }
    const moved = await until('u1', (u) => u.status.id === 'idle', 'moved after two missed offers');
    expect(moved.status.cause).toBe('missed-offer');
    await waitFor(() => fake.user('201').QueueStatus === 'LoggedOut', { what: 'Idle pushed to 3CX' });
  });

  it('a Dialing leg (the agent calls out) is an activity at once: a status picked then waits', async () => {
    const leg = fake.addParticipant('201', { callid: 6000, status: 'Dialing' });
    await until('u1', (u) => u.activities.length === 1, 'outgoing call');
    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status).toBe(
      202,
    );
    fake.removeParticipant('201', leg.id);
    await until('u1', (u) => u.activities.length === 0 && u.wrapUp !== null, 'call over, wrap-up');
  });
});
