/**
 * Routing follows the agent's intent on FreePBX, through the daemon and the fake AMI server (which keeps queue
 * members as app_queue does): wrap-up pauses with its own reason, a break is a pause with reason "On Break", login
 * straight into a paused status is one QueueAdd, static members are paused, an Asterisk restart and an app_queue
 * reload re-assert pauses and reasons, an upcoming break stops queue calls at once while the display waits, and
 * cancelling restores routing. Phone-side DND follows the shipped presence map; anything else is reverted, visibly.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SseClient } from '../events/sse-client.js';
import { FakeAmiServer, type FakeChannel } from '../fakes/fake-ami-server.js';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';

const MEMBER = 'Local/1001@from-queue/n';
const call: FakeChannel = {
  channel: 'PJSIP/1001-00000001',
  uniqueid: '1700000000.1',
  linkedid: '1700000000.1',
};

let fake: FakeAmiServer;
let d: TestDaemon;

async function start(options: { static?: boolean; wrapUpSeconds?: number } = {}): Promise<void> {
  fake = await new FakeAmiServer().start();
  seedExtensions(fake, ['1001']);
  if (options.static) fake.addQueue('400', [{ interface: MEMBER, name: 'Agent 1001', dynamic: false }]);
  fake.presence.set('CustomPresence:1001', { state: 'available', subtype: '', message: '' });
  d = await startTestDaemon({
    redisUrl: inject('redisUrl'),
    config: {
      status: { wrapUpSeconds: options.wrapUpSeconds ?? 0 },
      sync: { backoffMs: 20, attempts: 50 },
      pbx: [freepbxConnection(fake)],
    },
  });
  await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
    what: 'AMI connected',
  });
  await d.request('admin', 'PUT', '/v1/users/u1', {
    displayName: 'Dana',
    pbx: { connection: 'main', extension: '1001' },
    queues: ['400'],
  });
}
afterEach(async () => {
  await d?.stop();
  await fake?.stop();
});

const user = async () => (await d.request('admin', 'GET', '/v1/users/u1')).body;
const member = () => fake.member('400', MEMBER);
const pausedWith = (reason: string) => member()?.paused === true && member()?.reason === reason;
const ringable = () => fake.ringableMembers('400').some((m) => m.interface === MEMBER);
const dnd = () => fake.db.get('DND/1001') === 'YES';
const presence = () => fake.presence.get('CustomPresence:1001')?.state;
const queueWrites = () =>
  fake.actions
    .filter((a) => ['QueueAdd', 'QueueRemove', 'QueuePause'].includes(a.name))
    .map((a) => [a.name, a.headers.paused ?? '', a.headers.reason ?? '']);
const settled = () =>
  waitFor(
    async () => {
      const { waiting, active } = await d.daemon.parts!.sync.counts(); // delayed: the reconcile scheduler
      return (await user()).pbx.sync.state === 'in-sync' && waiting + active === 0;
    },
    { what: 'sync settled' },
  );

async function activeInQueue(): Promise<void> {
  await d.request('agent', 'POST', '/v1/users/u1/shift', {});
  await waitFor(() => ringable() && !dnd(), { what: 'Active: in queue 400, unpaused' });
}

describe('wrap-up', () => {
  it('a call during wrap-up is not routed: paused "Wrap-up" until the wrap-up is ended', async () => {
    await start({ wrapUpSeconds: 600 });
    await activeInQueue();
    fake.startChannel(call);
    await waitFor(async () => (await user()).activities.length === 1, { what: 'call begun' });
    fake.hangupChannel(call.uniqueid);
    await waitFor(() => pausedWith('Wrap-up'), { what: 'paused "Wrap-up" after the call' });
    expect(ringable()).toBe(false); // a waiting caller cannot reach the agent during after-call work
    expect((await user()).wrapUp).not.toBeNull();
    expect((await user()).status.id).toBe('active');

    expect((await d.request('agent', 'DELETE', '/v1/users/u1/wrap-up')).status).toBe(200);
    await waitFor(() => ringable(), { what: 'unpaused when wrap-up ends' });
    expect(queueWrites().slice(-2)).toEqual([
      ['QueuePause', 'true', 'Wrap-up'],
      ['QueuePause', 'false', ''],
    ]);
  });

  it('the wrap-up timer unpauses by itself', async () => {
    await start({ wrapUpSeconds: 1 });
    await activeInQueue();
    fake.startChannel(call);
    await waitFor(async () => (await user()).activities.length === 1, { what: 'call begun' });
    fake.hangupChannel(call.uniqueid);
    await waitFor(() => pausedWith('Wrap-up'), { what: 'paused during wrap-up' });
    await waitFor(() => ringable(), { what: 'unpaused once the wrap-up timer fired', timeoutMs: 10_000 });
    expect((await user()).wrapUp).toBeNull();
  });
});

describe('breaks are pauses with a reason; logout is for the end of the shift', () => {
  it('logging in straight into On Break is one QueueAdd Paused=true Reason="On Break"', async () => {
    await start();
    await d.request('agent', 'POST', '/v1/users/u1/shift', { statusId: 'on-break' });
    await waitFor(() => pausedWith('On Break') && dnd(), { what: 'added paused' });
    await settled();
    expect(queueWrites()).toEqual([['QueueAdd', 'true', 'On Break']]);
  });

  it('a static member is paused instead of removed and the sync does not fail', async () => {
    await start({ static: true });
    await activeInQueue();
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'offline' });
    await waitFor(() => pausedWith('Offline'), { what: 'static member paused "Offline"' });
    await settled();
    expect((await user()).pbx.sync).toMatchObject({ state: 'in-sync', lastError: null });
    expect(queueWrites().map((w) => w[0])).not.toContain('QueueRemove');
  });

  it('after an Asterisk restart every pause and reason is re-asserted', async () => {
    await start({ static: true });
    await activeInQueue();
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    await waitFor(() => pausedWith('On Break'), { what: 'paused "On Break"' });
    fake.restart(5); // queues.conf members come back unpaused; the link drops; FullyBooted shows a smaller Uptime
    expect(member()).toMatchObject({ paused: false, reason: '' });
    await waitFor(() => pausedWith('On Break'), { what: 're-paused after the restart' });
  });

  it('after an app_queue reload (Reload event) a dropped reason is re-asserted', async () => {
    await start({ static: true });
    await activeInQueue();
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    await waitFor(() => pausedWith('On Break'), { what: 'paused "On Break"' });
    await settled();
    const reconnects = (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].reconnects;
    fake.reloadQueues(); // paused flag kept, reason dropped
    expect(member()).toMatchObject({ paused: true, reason: '' });
    await waitFor(() => pausedWith('On Break'), { what: 'reason restored after the reload' });
    expect(queueWrites().at(-1)).toEqual(['QueuePause', 'true', 'On Break']); // re-paused, never unpaused
    expect((await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].reconnects).toBe(reconnects);
  });
});

describe('a pending break stops routing at once', () => {
  async function breakPendingOnCall(): Promise<void> {
    await activeInQueue();
    fake.startChannel(call);
    await waitFor(async () => (await user()).activities.length === 1, { what: 'call begun' });
    await settled(); // nothing left in flight: only the selection itself can move the queues now
    const picked = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    expect(picked.status).toBe(202);
  }

  it('upcoming On Break pauses and sets DND at once; the presence shows On Break only when applied', async () => {
    await start();
    await breakPendingOnCall();
    await waitFor(() => pausedWith('On Break') && dnd(), { what: 'routing of the upcoming break pushed' });
    await settled();
    expect(presence()).toBe('available'); // the display still says Active
    expect((await user()).status.id).toBe('active');

    fake.hangupChannel(call.uniqueid);
    await waitFor(async () => (await user()).status.id === 'on-break', { what: 'break applied' });
    await waitFor(() => presence() === 'away', { what: 'presence shows the break' });
    expect(pausedWith('On Break')).toBe(true);
  });

  it('cancelling the upcoming break restores routing', async () => {
    await start();
    await breakPendingOnCall();
    await waitFor(() => pausedWith('On Break') && dnd(), { what: 'paused for the upcoming break' });
    expect((await d.request('agent', 'DELETE', '/v1/users/u1/status/upcoming')).status).toBe(200);
    await waitFor(() => ringable() && !dnd(), { what: 'routing restored' });
    expect(presence()).toBe('available');
  });
});

describe('phone-side changes', () => {
  const pressDnd = (on: boolean) => {
    if (on) fake.db.set('DND/1001', 'YES');
    else fake.db.delete('DND/1001');
    fake.deviceStates.set('Custom:DND1001', on ? 'BUSY' : 'UNAVAILABLE');
    fake.emitEvent('DeviceStateChange', [
      ['Device', 'Custom:DND1001'],
      ['State', on ? 'BUSY' : 'UNAVAILABLE'],
    ]);
  };

  it('DND on the phone is On Break, DND off goes back to the status it interrupted (default presenceMap)', async () => {
    await start();
    await d.request('admin', 'POST', '/v1/status-types', {
      name: 'Back Office',
      color: '#336699',
      callHandling: { queueLogin: true },
    });
    await d.request('agent', 'POST', '/v1/users/u1/shift', { statusId: 'back-office' });
    await settled();
    pressDnd(true);
    await waitFor(async () => (await user()).status.id === 'on-break', { what: 'DND → On Break' });
    expect((await user()).status.cause).toBe('pbx');
    await waitFor(() => pausedWith('On Break'), { what: 'the break reached the queues' });
    await settled();
    pressDnd(false);
    await waitFor(async () => (await user()).status.id === 'back-office', { what: 'DND off → Back Office' });
  });

  it('an unmapped phone-side change is reverted at once, with an event and the reason', async () => {
    await start();
    await activeInQueue();
    await settled();
    const sse = await SseClient.connect(`${d.url}/v1/events`, { key: KEYS.supervisor });
    try {
      fake.presence.set('CustomPresence:1001', { state: 'xa', subtype: '', message: '' });
      fake.emitEvent('PresenceStateChange', [
        ['Presentity', 'CustomPresence:1001'],
        ['Status', 'xa'],
        ['Subtype', ''],
        ['Message', ''],
      ]);
      const reverted = await sse.next((e) => e.event === 'pbx.change.reverted', 'pbx.change.reverted');
      expect(reverted.json).toMatchObject({
        type: 'pbx.change.reverted',
        userId: 'u1',
        connection: 'main',
        extension: '1001',
        change: ['presence:xa'],
        reason: 'unmapped',
        code: null,
      });
      expect(reverted.json.message).toMatch(/presence:xa on extension 1001 is reverted/);
      expect(presence()).toBe('available');
      expect((await user()).status.id).toBe('active');
      // The bridge's own pushes are echoes, never "reverted".
      await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'idle' });
      await waitFor(() => presence() === 'away', { what: 'Idle pushed' });
      await settled();
      await d.daemon.parts!.pbx.inboundOf('main')!.idle();
      expect(sse.ofType('pbx.change.reverted')).toHaveLength(1);
    } finally {
      sse.close();
    }
  });

  it('DND released while nothing was interrupted is put back and reported', async () => {
    await start();
    await d.request('agent', 'POST', '/v1/users/u1/shift', { statusId: 'on-break' });
    await waitFor(() => dnd(), { what: 'On Break pushed (DND on)' });
    await settled();
    const sse = await SseClient.connect(`${d.url}/v1/events`, { key: KEYS.supervisor });
    try {
      pressDnd(false);
      const reverted = await sse.next((e) => e.event === 'pbx.change.reverted', 'pbx.change.reverted');
      expect(reverted.json).toMatchObject({ change: ['dnd:off'], reason: 'nothing-to-resume' });
      await waitFor(() => dnd(), { what: 'DND back on' });
      expect((await user()).status.id).toBe('on-break');
    } finally {
      sse.close();
    }
  });
});

describe('GET /v1/pbx capabilities', () => {
  it('says what each setting does on FreePBX', async () => {
    await start();
    const { capabilities } = (await d.request('supervisor', 'GET', '/v1/pbx')).body.connections[0];
    expect(capabilities).toMatchObject({
      presence: { support: 'supported' },
      dnd: { support: 'supported' },
      queueLogin: { support: 'supported', scope: 'per-queue' },
      queuePause: { support: 'supported', reason: true },
      ringMyMobile: { support: 'supported', how: expect.stringContaining('Follow Me') },
      externalCalls: { support: 'supported', directions: ['outbound', 'inbound'] },
      phoneSideChanges: { support: 'supported', seen: expect.arrayContaining(['dnd:on', 'queue:paused']) },
    });
  });
});
