/**
 * The status-engine scenario against the fake 3CX server through the real adapter: shift as Active, a call on
 * the extension, On Break picked during it (deferred), the call ends in 3CX and On Break is applied and pushed
 * (profile Away, queues logged out); a call that ends while the WebSocket is down is reconciled after reconnect.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { Fake3cxServer } from '../fakes/fake-3cx-server.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

describe('3CX through the bridge', () => {
  let fake: Fake3cxServer;
  let d: TestDaemon;

  beforeEach(async () => {
    fake = await Fake3cxServer.start();
    fake.addUser('201', { CurrentProfileName: 'Out of office', QueueStatus: 'LoggedOut' });
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      config: {
        sync: { backoffMs: 20, attempts: 50 },
        pbx: [
          {
            id: 'hq',
            kind: '3cx',
            url: fake.url,
            clientId: fake.clientId,
            clientSecret: fake.clientSecret,
            presencePollIntervalMs: 100,
            callPollIntervalMs: 100,
            backoff: { initialMs: 20, maxMs: 200 },
            presenceMap: { 'presence:Custom 1': 'on-break' },
          },
        ],
      },
    });
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: '3CX connected',
    });
    await d.request('admin', 'PUT', '/v1/users/u1', {
      displayName: 'Dana',
      pbx: { connection: 'hq', extension: '201' },
    });
  });
  afterEach(async () => {
    await d.stop();
    await fake.stop();
  });

  const user = async () => (await d.request('admin', 'GET', '/v1/users/u1')).body;
  const onBreakApplied = () =>
    waitFor(
      async () => {
        const u = await user();
        return u.status.id === 'on-break' ? u : null;
      },
      { what: 'deferred On Break' },
    );

  it('runs the deferred-status scenario end to end', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(
      () =>
        fake.user('201').CurrentProfileName === 'Available' && fake.user('201').QueueStatus === 'LoggedIn',
      {
        what: 'Active pushed to 3CX',
      },
    );

    const participant = fake.addParticipant('201', { status: 'Connected' });
    await waitFor(async () => (await user()).activities.length === 1, {
      what: 'call activity from the WebSocket',
    });
    expect((await user()).activities[0]).toMatchObject({ id: String(participant.callid), source: '3cx:hq' });

    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status).toBe(
      202,
    );
    expect(fake.user('201').CurrentProfileName).toBe('Available'); // upcoming is not pushed while engaged

    fake.removeParticipant('201', participant.id);
    const after = await onBreakApplied();
    expect(after.status.cause).toBe('deferred');
    await waitFor(
      () => fake.user('201').CurrentProfileName === 'Away' && fake.user('201').QueueStatus === 'LoggedOut',
      {
        what: 'On Break pushed to 3CX',
      },
    );
    await waitFor(async () => (await user()).pbx.sync.state === 'in-sync', { what: 'in-sync' });
  });

  it('ends a call that finished while the WebSocket was down, after reconnect', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    const participant = fake.addParticipant('201', { status: 'Connected' });
    await waitFor(async () => (await user()).activities.length === 1, { what: 'call begun' });
    await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });

    fake.refuseUpgrades = 503;
    fake.dropSockets();
    fake.removeParticipant('201', participant.id, { silent: true });
    await waitFor(async () => !(await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'seen down',
    });
    fake.refuseUpgrades = null;

    const after = await onBreakApplied();
    expect(after).toMatchObject({ status: { cause: 'deferred' }, activities: [] });
  });

  it('turns a profile changed in 3CX into a status selection (cause pbx)', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    // The record is in-sync from the Offline push already: wait for Active itself to reach 3CX, or the push would
    // overwrite the phone-side change made below.
    await waitFor(
      async () =>
        fake.user('201').CurrentProfileName === 'Available' && (await user()).pbx.sync.state === 'in-sync',
      { what: 'first push' },
    );
    fake.user('201').CurrentProfileName = 'Custom 1';
    const u = await onBreakApplied();
    expect(u.status.cause).toBe('pbx');
  });
});
