/**
 * Routing follows the agent's intent on 3CX, as far as XAPI allows, through the daemon and the fake 3CX server: an
 * upcoming break logs the agent out of queues at once (global QueueStatus; 3CX has no pause) while the status
 * profile waits until the break is applied, cancelling restores the login, wrap-up is LoggedOut and the user's sync
 * names what 3CX cannot do. The shipped presence map follows profile changes made in 3CX; other changes are
 * reverted, visibly.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { SseClient } from '../events/sse-client.js';
import { Fake3cxServer } from '../fakes/fake-3cx-server.js';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

let fake: Fake3cxServer;
let d: TestDaemon;

beforeEach(async () => {
  fake = await Fake3cxServer.start();
  fake.addUser('201', { CurrentProfileName: 'Out of office', QueueStatus: 'LoggedOut' });
  d = await startTestDaemon({
    redisUrl: inject('redisUrl'),
    config: {
      status: { wrapUpSeconds: 600 },
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
const pbxUser = () => fake.user('201');
const settled = () =>
  waitFor(
    async () => {
      const { waiting, active } = await d.daemon.parts!.sync.counts();
      return (await user()).pbx.sync.state === 'in-sync' && waiting + active === 0;
    },
    { what: 'sync settled' },
  );

/** Resolves after the next presence poll that starts from now (so the poller has seen the PBX as it is). */
async function nextPoll(): Promise<void> {
  const mark = fake.requests.length;
  await waitFor(
    () =>
      fake.requests
        .slice(mark)
        .some(
          (r) =>
            r.method === 'GET' && r.path === '/xapi/v1/Users' && r.query.$select?.includes('QueueStatus'),
        ),
    { what: 'a presence poll' },
  );
}

/** Shift started, Active on the PBX, seen by the presence poller, nothing in flight. */
async function active(): Promise<void> {
  await d.request('agent', 'POST', '/v1/users/u1/shift', {});
  await waitFor(() => pbxUser().CurrentProfileName === 'Available' && pbxUser().QueueStatus === 'LoggedIn', {
    what: 'Active pushed',
  });
  await settled();
  await nextPoll();
}

async function activeOnCall(): Promise<{ id: number }> {
  await active();
  const participant = fake.addParticipant('201', { status: 'Connected' });
  await waitFor(async () => (await user()).activities.length === 1, { what: 'call begun' });
  await settled();
  return participant;
}

describe('routing on 3CX', () => {
  it('upcoming On Break logs out of queues at once, the profile waits; cancelling logs back in', async () => {
    await activeOnCall();
    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status).toBe(
      202,
    );
    await waitFor(() => pbxUser().QueueStatus === 'LoggedOut', {
      what: 'no queue calls for the pending break',
    });
    await settled();
    expect(pbxUser().CurrentProfileName).toBe('Available');
    expect((await user()).pbx.sync.unsupported).toEqual([
      'queues.pause',
      'queues.pauseReason',
      'externalCalls',
    ]);

    await d.request('agent', 'DELETE', '/v1/users/u1/status/upcoming');
    await waitFor(() => pbxUser().QueueStatus === 'LoggedIn', { what: 'routing restored' });
    await settled();
    expect((await user()).pbx.sync.unsupported).toEqual(['externalCalls']);
  });

  it('wrap-up is LoggedOut (3CX has no pause) until it ends', async () => {
    const participant = await activeOnCall();
    fake.removeParticipant('201', participant.id);
    await waitFor(async () => (await user()).wrapUp !== null, { what: 'wrap-up started' });
    await waitFor(() => pbxUser().QueueStatus === 'LoggedOut', { what: 'out of queues during wrap-up' });
    expect(pbxUser().CurrentProfileName).toBe('Available');
    await d.request('agent', 'DELETE', '/v1/users/u1/wrap-up');
    await waitFor(() => pbxUser().QueueStatus === 'LoggedIn', { what: 'back in queues' });
  });

  it('a profile picked in 3CX is a break, and "Available" goes back to the status it interrupted', async () => {
    await active();
    pbxUser().CurrentProfileName = 'Away';
    await waitFor(async () => (await user()).status.id === 'on-break', { what: 'Away → On Break' });
    expect((await user()).status.cause).toBe('pbx');
    await waitFor(() => pbxUser().QueueStatus === 'LoggedOut', { what: 'break pushed' });
    await settled();
    await nextPoll();
    pbxUser().CurrentProfileName = 'Available';
    await waitFor(async () => (await user()).status.id === 'active', { what: 'Available → Active' });
  });

  it('a queue logout made in 3CX while Active is reverted, with an event', async () => {
    await active();
    const sse = await SseClient.connect(`${d.url}/v1/events`, { key: KEYS.agent });
    try {
      pbxUser().QueueStatus = 'LoggedOut';
      const reverted = await sse.next((e) => e.event === 'pbx.change.reverted', 'pbx.change.reverted');
      expect(reverted.json).toMatchObject({
        userId: 'u1',
        connection: 'hq',
        extension: '201',
        change: ['queue:loggedOut'],
        reason: 'unmapped',
      });
      expect(pbxUser().QueueStatus).toBe('LoggedIn');
    } finally {
      sse.close();
    }
  });

  it('GET /v1/pbx says what 3CX cannot do', async () => {
    const { capabilities } = (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0];
    expect(capabilities).toMatchObject({
      presence: { support: 'supported' },
      dnd: { support: 'unsupported' },
      queueLogin: { support: 'partial', scope: 'global' },
      queuePause: { support: 'unsupported', reason: false },
      ringMyMobile: { support: 'supported' },
      externalCalls: { support: 'unsupported', directions: [] },
      phoneSideChanges: {
        support: 'partial',
        seen: ['presence:<profile>', 'queue:loggedIn', 'queue:loggedOut'],
      },
    });
  });
});
