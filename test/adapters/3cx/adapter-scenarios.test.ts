/**
 * The real adapter against the fake 3CX: call events over the WebSocket (legs, stale and unknown
 * events), a call ending while the socket is down, a token rotating mid-stream, polling mode, phone-side
 * presence changes, 100 users converging, faults, stop().
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PbxAdapter } from '../../../src/adapters/pbx.js';
import { PbxError } from '../../../src/adapters/pbx.js';
import { Fake3cxServer } from '../../fakes/fake-3cx-server.js';
import { waitFor } from '../../harness/wait.js';
import { adapterFor, desired, EventLog } from './support.js';

let fake: Fake3cxServer;
let adapter: PbxAdapter;
let log: EventLog;

async function startAdapter(patch: Parameters<typeof adapterFor>[1] = {}): Promise<void> {
  adapter = adapterFor(fake, patch);
  log = new EventLog();
  await adapter.start(log.sink);
  await log.next('connected');
}

/** Resolves once the adapter has fetched the participant (the fake answers in the same tick). */
function fetched(dn: string, id: number): Promise<boolean> {
  return waitFor(() => fake.requests.some((r) => r.path === `/callcontrol/${dn}/participants/${id}`), {
    what: `GET of participant ${id}`,
  });
}

beforeEach(async () => {
  fake = await Fake3cxServer.start();
  fake.addUser('101');
  fake.addUser('102');
});
afterEach(async () => {
  await adapter?.stop();
  await fake.stop();
});

describe('3CX call events over the WebSocket', () => {
  beforeEach(() => startAdapter());

  it('is connected after the token, the upgrade and the resync', () => {
    expect(adapter.status()).toMatchObject({ connected: true, reconnects: 0 });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toContain('GET /callcontrol');
    expect(fake.upgrades).toEqual([{ token: fake.tokensIssued[0], status: 101 }]);
  });

  it('starts on the first leg and ends on the last, across a consultation leg', async () => {
    const a = fake.addParticipant('101', { callid: 500, status: 'Connected' });
    await log.next('activityStarted', (e) => e.extension === '101');
    const b = fake.addParticipant('101', { callid: 501, status: 'Dialing' });
    await fetched('101', b.id);
    fake.removeParticipant('101', a.id); // b still there: still engaged
    const c = fake.addParticipant('101', { callid: 503, status: 'Connected' });
    await fetched('101', c.id);
    fake.removeParticipant('101', b.id);
    fake.removeParticipant('101', c.id);
    await log.next('activityEnded', (e) => e.extension === '101');
    fake.addParticipant('101', { callid: 502, status: 'Connected' }); // same DN: applied after all of the above
    await log.next('activityStarted', (e) => e.activityId === '502');
    expect(log.calls('101')).toEqual(['started:500', 'ended:500', 'started:502']);
    expect(log.ofType('activityStarted')[0]).toMatchObject({ kind: 'call' });
  });

  it('ignores a stale sequence for an entity', async () => {
    const a = fake.addParticipant('101', { callid: 600, status: 'Connected', silent: true });
    const entity = `/callcontrol/101/participants/${a.id}`;
    const upsertSeq = fake.nextSequence() + 10;
    fake.sendRaw({ sequence: upsertSeq, event: { event_type: 0, entity } });
    await log.next('activityStarted', (e) => e.activityId === '600');
    fake.sendRaw({ sequence: upsertSeq - 1, event: { event_type: 1, entity } }); // older Remove, late
    const b = fake.addParticipant('101', { callid: 601, status: 'Connected', silent: true });
    fake.sendRaw({
      sequence: upsertSeq + 1,
      event: { event_type: 0, entity: `/callcontrol/101/participants/${b.id}` },
    });
    fake.sendRaw({ sequence: upsertSeq + 2, event: { event_type: 1, entity } });
    fake.sendRaw({
      sequence: upsertSeq + 3,
      event: { event_type: 1, entity: `/callcontrol/101/participants/${b.id}` },
    });
    fake.sendRaw({
      sequence: upsertSeq + 4,
      event: {
        event_type: 0,
        entity: `/callcontrol/101/participants/${fake.addParticipant('101', { callid: 602, status: 'Connected', silent: true }).id}`,
      },
    });
    await log.next('activityStarted', (e) => e.activityId === '602');
    expect(log.calls('101')).toEqual(['started:600', 'ended:600', 'started:602']);
  });

  it('ignores unknown event types, other entities and garbage', async () => {
    const a = fake.addParticipant('101', { callid: 700, status: 'Connected', silent: true });
    const entity = `/callcontrol/101/participants/${a.id}`;
    for (const event_type of [2, 4, 5])
      fake.sendRaw({ sequence: fake.nextSequence(), event: { event_type, entity } });
    fake.sendRaw({
      sequence: fake.nextSequence(),
      event: { event_type: 0, entity: '/callcontrol/101/devices/x' },
    });
    fake.sendRaw('not json');
    const b = fake.addParticipant('101', { callid: 701, status: 'Connected' });
    await log.next('activityStarted', (e) => e.activityId === '701');
    fake.removeParticipant('101', b.id);
    await log.next('activityEnded', (e) => e.activityId === '701');
    expect(log.calls('101')).toEqual(['started:701', 'ended:701']);
  });

  it('resyncs after a call ended while the socket was down; the snapshot no longer has it', async () => {
    const a = fake.addParticipant('101', { callid: 800, status: 'Connected' });
    fake.addParticipant('102', { callid: 900, status: 'Connected' });
    await log.next('activityStarted', (e) => e.activityId === '800');
    await expect(adapter.snapshot()).resolves.toMatchObject({
      calls: [
        { extension: '101', activityId: '800' },
        { extension: '102', activityId: '900' },
      ],
    });
    fake.refuseUpgrades = 503;
    fake.dropSockets();
    await log.next('disconnected');
    expect(adapter.status().connected).toBe(false);
    await expect(adapter.snapshot()).rejects.toMatchObject({ code: 'PBX_UNAVAILABLE' });
    fake.removeParticipant('101', a.id); // nobody hears this
    await waitFor(() => fake.upgrades.some((u) => u.status === 503), { what: 'a refused reconnect' });
    fake.refuseUpgrades = null;
    await log.next('connected', () => true, 2);
    const snapshot = await adapter.snapshot();
    expect(snapshot.calls).toEqual([{ extension: '102', activityId: '900', kind: 'call' }]);
    expect(adapter.status()).toMatchObject({ connected: true, reconnects: 1 });
    fake.addParticipant('101', { callid: 801, status: 'Connected' }); // the tracker forgot 800, so this is a new call
    await log.next('activityStarted', (e) => e.activityId === '801');
  });

  it('reconnects with a new token when the token rotates mid-stream', async () => {
    fake.rotateTokens();
    await log.next('disconnected');
    await log.next('connected', () => true, 2);
    expect(fake.tokensIssued).toHaveLength(2);
    expect(fake.upgrades.map((u) => u.status)).toEqual([101, 401, 101]);
    expect(fake.upgrades[2]?.token).toBe(fake.tokensIssued[1]);
    fake.addParticipant('102', { callid: 1234, status: 'Connected' });
    await log.next('activityStarted', (e) => e.activityId === '1234');
    await expect(
      adapter.apply({ userId: 'u', extension: '102', queues: [] }, desired({ profile: 'Away' })),
    ).resolves.toEqual({ changed: ['presence'] });
    expect(fake.tokensIssued).toHaveLength(2);
  });

  it('stops for good: socket closed, no events, apply refused, idempotent', async () => {
    await Promise.all([adapter.stop(), adapter.stop()]);
    await waitFor(() => fake.openSockets === 0, { what: 'socket closed' });
    const before = log.events.length;
    fake.addParticipant('101', { status: 'Connected' });
    await expect(
      adapter.apply({ userId: 'u', extension: '101', queues: [] }, desired()),
    ).rejects.toMatchObject({ code: 'PBX_UNAVAILABLE' });
    expect(log.events.length).toBe(before);
    expect(log.ofType('disconnected')).toEqual([]); // closing the socket on stop() is not news for the sink
  });
});

describe('3CX call events by polling', () => {
  it('diffs GET /callcontrol and reconnects after a failed poll', async () => {
    await startAdapter({ callEvents: 'polling', callPollIntervalMs: 20 });
    expect(fake.upgrades).toHaveLength(0);
    const a = fake.addParticipant('101', { callid: 42, status: 'Connected' });
    await log.next('activityStarted', (e) => e.activityId === '42');
    fake.fail(/^\/callcontrol$/, { status: 503 });
    await log.next('disconnected');
    await log.next('connected', () => true, 2);
    fake.removeParticipant('101', a.id);
    await log.next('activityEnded', (e) => e.activityId === '42');
  });
});

describe('3CX offers (Ringing legs)', () => {
  /** The offer and activity events of one extension as short strings, in order. */
  const story = (extension: string) =>
    log.events.flatMap((e) => {
      if (!('extension' in e) || e.extension !== extension || e.type === 'presenceChanged') return [];
      return [e.type === 'offerEnded' ? `offerEnded ${e.answered ? 'answered' : 'unanswered'}` : e.type];
    });

  for (const mode of ['websocket', 'polling'] as const) {
    it(`${mode}: ringall answered on one extension is a call there and no miss on the other`, async () => {
      await startAdapter({ callEvents: mode, callPollIntervalMs: 20, missedOfferGraceMs: 100 });
      fake.addUser('103');
      const a = fake.addParticipant('101', { callid: 2000 });
      const b = fake.addParticipant('102', { callid: 2000 });
      await log.next('offerStarted', (e) => e.extension === '102');
      await log.next('offerStarted', (e) => e.extension === '101');
      expect(log.ofType('activityStarted')).toEqual([]);
      // 3CX takes the other member's leg away; the order of the two messages is not known.
      fake.removeParticipant('101', a.id);
      fake.setParticipantStatus('102', b.id, 'Connected');
      await log.next('activityStarted', (e) => e.extension === '102');
      // A call nobody takes, rung out later: once its miss is in, the earlier verdicts are in too.
      const c = fake.addParticipant('103', { callid: 2001 });
      await log.next('offerStarted', (e) => e.extension === '103');
      fake.removeParticipant('103', c.id);
      await log.next('offerMissed', (e) => e.extension === '103');
      expect(story('101')).toEqual(['offerStarted', 'offerEnded unanswered']);
      expect(story('102')).toEqual(['offerStarted', 'offerEnded answered', 'activityStarted']);
      expect(story('103')).toEqual(['offerStarted', 'offerEnded unanswered', 'offerMissed']);
      expect((await adapter.snapshot()).offers).toEqual([]);
    });
  }

  it('a Dialing leg is a call at once; a snapshot lists ringing legs as offers', async () => {
    await startAdapter();
    fake.addParticipant('101', { callid: 3000, status: 'Dialing' });
    await log.next('activityStarted', (e) => e.activityId === '3000');
    const ring = fake.addParticipant('102', { callid: 3001 });
    await log.next('offerStarted', (e) => e.extension === '102');
    expect(await adapter.snapshot()).toMatchObject({
      calls: [{ extension: '101', activityId: '3000' }],
      offers: [{ extension: '102', offerId: `102:${ring.id}` }],
    });
    expect(story('101')).toEqual(['activityStarted']);
  });
});

describe('3CX phone-side presence', () => {
  it('reports profile and queue changes after a silent baseline', async () => {
    await startAdapter({ presencePollIntervalMs: 20 });
    const polls = (): number =>
      fake.requests.filter(
        (r) => r.path === '/xapi/v1/Users' && r.query.$select?.includes('CurrentProfileName'),
      ).length;
    await waitFor(() => polls() >= 2, { what: 'two presence polls' });
    expect(log.ofType('presenceChanged')).toEqual([]);
    fake.user('101').CurrentProfileName = 'Away';
    await log.next('presenceChanged', (e) => e.extension === '101');
    fake.user('102').QueueStatus = 'LoggedOut';
    await log.next('presenceChanged', (e) => e.extension === '102');
    expect(log.ofType('presenceChanged').map((e) => [e.extension, e.presence])).toEqual([
      ['101', { presence: 'Away' }],
      ['102', { queue: { loggedIn: false } }],
    ]);
    for (const r of fake.requests)
      if (r.query.$top !== undefined) expect(Number(r.query.$top)).toBeLessThanOrEqual(100);
  });
  it('reports a profile in the name the bridge configured (CustomName), not the internal Name', async () => {
    await startAdapter({ presencePollIntervalMs: 20 });
    const polls = (): number =>
      fake.requests.filter((r) => r.query.$select?.includes('CurrentProfileName')).length;
    await waitFor(() => polls() >= 1, { what: 'baseline poll' });
    await adapter.apply({ userId: 'u', extension: '101', queues: [] }, desired({ profile: 'Lunch' }));
    expect(fake.user('101').CurrentProfileName).toBe('Custom 1');
    const change = await log.next('presenceChanged', (e) => e.extension === '101');
    expect(change.presence).toEqual({ presence: 'Lunch' });
  });
});

describe('3CX apply() against the fake', () => {
  beforeEach(() => startAdapter({ externalCalls: { enabled: true } }));

  it('100 users converge to their desired settings with one token', async () => {
    const numbers = Array.from({ length: 100 }, (_, i) => String(2000 + i));
    for (const n of numbers) fake.addUser(n);
    const want = (i: number) =>
      desired({
        profile: i % 2 ? 'Lunch' : 'Away',
        loggedIn: i % 3 === 0,
        ringMyMobile: i % 4 === 0,
        externalCalls: i % 5 !== 0,
      });
    const results = await Promise.all(
      numbers.map((n, i) => adapter.apply({ userId: n, extension: n, queues: [] }, want(i))),
    );
    expect(results.every((r) => r.changed.includes('presence'))).toBe(true);
    numbers.forEach((n, i) => {
      const u = fake.user(n);
      expect(u.CurrentProfileName).toBe(i % 2 ? 'Custom 1' : 'Away');
      expect(u.QueueStatus).toBe(i % 3 === 0 ? 'LoggedIn' : 'LoggedOut');
      expect(u.Internal).toBe(i % 5 === 0);
      expect(u.ForwardingProfiles).toHaveLength(5);
      expect(
        u.ForwardingProfiles.every((p) => p.RingMyMobile === (i % 4 === 0) && p.AvailableRoute !== undefined),
      ).toBe(true);
    });
    expect(fake.tokensIssued).toHaveLength(1);
    const again = await Promise.all(
      numbers.map((n, i) => adapter.apply({ userId: n, extension: n, queues: [] }, want(i))),
    );
    expect(again.every((r) => r.changed.length === 0)).toBe(true);
  });

  it('reports a field the PBX ignores as PBX_FIELD_IGNORED', async () => {
    fake.ignoredFields.add('CurrentProfileName');
    const err = await adapter
      .apply({ userId: 'u', extension: '101', queues: [] }, desired({ profile: 'Away', loggedIn: false }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'PBX_FIELD_IGNORED',
      details: { field: 'CurrentProfileName', extension: '101' },
    });
    expect(fake.user('101').QueueStatus).toBe('LoggedOut'); // the rest was written
  });

  it('maps 429 + Retry-After and a hung request to retryable errors', async () => {
    await adapter.stop();
    adapter = adapterFor(fake, { requestTimeoutMs: 300 });
    const t = { userId: 'u', extension: '101', queues: [] };
    fake.fail(/^\/xapi\/v1\/Users\(\d+\)$/, { status: 429, headers: { 'Retry-After': '3' } });
    await expect(adapter.apply(t, desired())).rejects.toMatchObject({
      code: 'PBX_RATE_LIMITED',
      retryable: true,
      details: { retryAfterMs: 3000 },
    });
    fake.fail(/^\/xapi\/v1\/Users\(\d+\)$/, { hang: true });
    const err = await adapter.apply(t, desired()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PbxError);
    expect(err).toMatchObject({ code: 'PBX_TIMEOUT', retryable: true });
    await expect(adapter.apply(t, desired({ profile: 'Away' }))).resolves.toEqual({ changed: ['presence'] });
  });
});
