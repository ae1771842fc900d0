/**
 * The daemon with a FreePBX connection to the fake AMI server: status changes reach the PBX (queues, DND),
 * PBX calls drive activities and the deferred status, and an AMI outage loses nothing.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { FakeAmiServer, type FakeChannel } from '../fakes/fake-ami-server.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';

const MEMBER = 'Local/1001@from-queue/n';

function call(n: number): FakeChannel {
  return {
    channel: `PJSIP/1001-0000000${n}`,
    uniqueid: `1700000000.${n}`,
    linkedid: `1700000000.${n}`,
    state: '6',
  };
}

describe('FreePBX through the bridge', () => {
  let fake: FakeAmiServer;
  let d: TestDaemon;

  beforeEach(async () => {
    fake = await new FakeAmiServer().start();
    seedExtensions(fake, ['1001']);
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      config: {
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
  });
  afterEach(async () => {
    await d.stop();
    await fake.stop();
  });

  const user = async () => (await d.request('admin', 'GET', '/v1/users/u1')).body;
  const dnd = () => fake.db.get('DND/1001') === 'YES';
  const inQueue = () => Boolean(fake.member('400', MEMBER));
  /** A member, paused with `reason` (how a break shows in queue reports). */
  const pausedWith = (reason: string) => {
    const m = fake.member('400', MEMBER);
    return !!m && m.paused && m.reason === reason;
  };

  it('pushes Active (queue login, no DND), On Break (paused "On Break", DND) and Offline (logout); records in-sync', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(() => inQueue() && !dnd(), { what: 'logged in to queue 400' });
    await waitFor(async () => (await user()).pbx.sync.state === 'in-sync', { what: 'in-sync' });

    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    await waitFor(() => pausedWith('On Break') && dnd(), { what: 'paused "On Break" in queue 400, DND on' });
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'offline' });
    await waitFor(() => !inQueue(), { what: 'Offline: removed from queue 400' });
    const queueWrites = fake.actions.filter((a) => a.name.startsWith('Queue') && a.name !== 'QueueStatus');
    expect(queueWrites.map((a) => [a.name, a.headers.paused ?? '', a.headers.reason ?? ''])).toEqual([
      ['QueueAdd', 'false', ''],
      ['QueuePause', 'true', 'On Break'],
      ['QueueRemove', '', ''],
    ]);
    // The PBX shows the removal before the adapter's apply() returns: in-sync follows once it has.
    await waitFor(async () => (await user()).pbx.sync.state === 'in-sync', { what: 'Offline in sync' });
    expect((await user()).pbx.sync).toMatchObject({ state: 'in-sync', unsupported: [] });
  });

  it('applies the deferred status when the PBX call hangs up', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    fake.startChannel(call(1));
    await waitFor(async () => (await user()).activities.length === 1, { what: 'call activity begun' });
    expect((await user()).activities[0]).toMatchObject({
      id: '1700000000.1',
      kind: 'call',
      source: 'freepbx:main',
    });

    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status).toBe(
      202,
    );
    const hungUpAt = Date.now();
    fake.hangupChannel('1700000000.1');
    const after = await waitFor(
      async () => {
        const u = await user();
        return u.status.id === 'on-break' ? u : null;
      },
      { intervalMs: 2, what: 'deferred On Break' },
    );
    console.log(
      `freepbx: deferred status applied ${Date.now() - hungUpAt} ms after Hangup (includes polling)`,
    );
    expect(after).toMatchObject({ status: { cause: 'deferred' }, upcoming: null, activities: [] });
    await waitFor(() => pausedWith('On Break') && dnd(), { what: 'On Break reached the PBX' });
  });

  it('reconciles after an AMI outage: a call that ended meanwhile ends, the upcoming status is applied and synced', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(() => inQueue(), { what: 'in queue' });
    fake.startChannel(call(2));
    await waitFor(async () => (await user()).activities.length === 1, { what: 'call begun' });
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });

    await fake.refuse(); // AMI gone
    await waitFor(async () => !(await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'seen down',
    });
    fake.channels.delete('1700000000.2'); // the call ended while we could not hear it
    await fake.accept();

    const after = await waitFor(
      async () => {
        const u = await user();
        return u.status.id === 'on-break' ? u : null;
      },
      { what: 'deferred status after reconnect' },
    );
    expect(after.activities).toEqual([]);
    await waitFor(() => pausedWith('On Break') && dnd(), { what: 'PBX matches On Break after the outage' });
  });

  it('coalesces a burst: 20 quick changes cost far fewer PBX writes and end in the right state', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(async () => (await user()).pbx.sync.state === 'in-sync', { what: 'first sync' });
    const before = fake.actions.filter((a) => a.name === 'QueueAdd' || a.name === 'QueueRemove').length;
    for (let i = 0; i < 20; i++) {
      await d.request('agent', 'PUT', '/v1/users/u1/status', {
        statusId: i % 2 === 0 ? 'on-break' : 'active',
      });
    }
    await waitFor(() => inQueue() && !dnd(), { what: 'final Active on the PBX' });
    await waitFor(
      async () => {
        const u = await user();
        return u.pbx.sync.state === 'in-sync' && (await d.daemon.parts!.sync.counts()).waiting === 0;
      },
      { what: 'sync settled' },
    );
    const writes =
      fake.actions.filter((a) => a.name === 'QueueAdd' || a.name === 'QueueRemove').length - before;
    console.log(`freepbx: 20 status changes → ${writes} queue writes`);
    expect(writes).toBeLessThan(20);
    const pbx = (await d.request('supervisor', 'GET', '/v1/pbx')).body;
    expect(pbx.connections[0]).toMatchObject({
      id: 'main',
      connected: true,
      sync: { waiting: 0, failed: 0 },
    });
  });
});

describe('FreePBX phone-side changes and long outages', () => {
  let fake: FakeAmiServer;
  let d: TestDaemon;

  beforeEach(async () => {
    fake = await new FakeAmiServer().start();
    seedExtensions(fake, ['1001', '1002', '1003']);
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      config: {
        // A tiny retry budget: an outage outlasts it, so only the reconnect reconcile can repair the PBX.
        sync: { backoffMs: 10, attempts: 2 },
        pbx: [freepbxConnection(fake, { presenceMap: { 'dnd:on': 'on-break', 'dnd:off': 'active' } })],
      },
    });
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'AMI connected',
    });
    for (const [id, ext] of [
      ['u1', '1001'],
      ['u2', '1002'],
      ['u3', '1003'],
    ] as const) {
      await d.request('admin', 'PUT', `/v1/users/${id}`, {
        displayName: id,
        pbx: { connection: 'main', extension: ext },
        queues: ['400'],
      });
      await d.request('admin', 'POST', `/v1/users/${id}/shift`, {});
    }
    await waitFor(
      () => ['1001', '1002', '1003'].every((e) => fake.member('400', `Local/${e}@from-queue/n`)),
      { what: 'all in queue' },
    );
  });
  afterEach(async () => {
    await d.stop();
    await fake.stop();
  });

  const get = async (id: string) => (await d.request('admin', 'GET', `/v1/users/${id}`)).body;

  it('turns DND pressed on the handset into On Break (cause pbx) and ignores the echo of our own push', async () => {
    fake.emitEvent('DeviceStateChange', [
      ['Device', 'Custom:DND1001'],
      ['State', 'BUSY'],
    ]);
    const u = await waitFor(
      async () => {
        const s = await get('u1');
        return s.status.id === 'on-break' ? s : null;
      },
      { what: 'handset DND → On Break' },
    );
    expect(u.status.cause).toBe('pbx');
    // Lunch also sets DND; pushing it makes the PBX report "DND on", which the map would turn into On Break.
    // That report is our own echo and must be ignored.
    await d.request('admin', 'POST', '/v1/status-types', {
      name: 'Lunch',
      color: '#123456',
      pbxPresence: { freepbx: { dnd: true, presence: 'away' }, '3cx': { profile: 'Away' } },
    });
    await d.request('admin', 'PUT', '/v1/users/u1/status', { statusId: 'active' });
    await waitFor(async () => (await get('u1')).pbx.sync.state === 'in-sync' && !fake.db.get('DND/1001'), {
      what: 'Active pushed',
    });
    const echoesBefore = fake.actions.filter((a) => a.name === 'Setvar').length;
    await d.request('admin', 'PUT', '/v1/users/u1/status', { statusId: 'lunch' });
    await waitFor(
      () =>
        fake.db.get('DND/1001') === 'YES' &&
        fake.actions.filter((a) => a.name === 'Setvar').length > echoesBefore,
      {
        what: 'Lunch pushed (DND on, device state set)',
      },
    );
    await waitFor(async () => (await get('u1')).pbx.sync.state === 'in-sync', { what: 'Lunch in sync' });
    await d.daemon.parts!.pbx.inboundOf('main')!.idle();
    const history = (await d.request('admin', 'GET', '/v1/users/u1/history')).body.items;
    expect(
      history.map((s: { statusId: string; cause: string }) => `${s.statusId}/${s.cause}`).slice(0, 4),
    ).toEqual(['lunch/supervisor', 'active/supervisor', 'on-break/pbx', 'active/shift-start']);
  });

  it('loses no status change over an outage longer than the retry budget', async () => {
    await fake.refuse();
    await waitFor(async () => !(await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'seen down',
    });
    for (const id of ['u1', 'u2', 'u3'])
      await d.request('admin', 'PUT', `/v1/users/${id}/status`, { statusId: 'on-break' });
    await waitFor(async () => (await get('u3')).pbx.sync.state === 'failed', {
      what: 'retries exhausted while down',
    });
    await fake.accept();
    await waitFor(
      () =>
        ['1001', '1002', '1003'].every(
          (e) =>
            fake.member('400', `Local/${e}@from-queue/n`)?.reason === 'On Break' &&
            fake.db.get(`DND/${e}`) === 'YES',
        ),
      {
        what: 'every user On Break on the PBX after reconnect',
      },
    );
    for (const id of ['u1', 'u2', 'u3'])
      await waitFor(async () => (await get(id)).pbx.sync.state === 'in-sync', { what: `${id} in-sync` });
  });
});
