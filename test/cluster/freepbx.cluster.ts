/**
 * A FreePBX connection (the fake AMI server) with the daemon on a Redis Cluster: the lease and fences (one slot
 * per key), the sync queue on BullMQ, and inbound PBX events committed through the partition scripts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAmiServer, type FakeChannel } from '../fakes/fake-ami-server.js';
import type { TestDaemon } from '../harness/daemon.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';
import { startClusterDaemon } from './helpers.js';

const MEMBER = 'Local/1001@from-queue/n';
const CALL: FakeChannel = {
  channel: 'PJSIP/1001-00000001',
  uniqueid: '1700000000.1',
  linkedid: '1700000000.1',
  state: '6',
};

describe('FreePBX sync on Redis Cluster', () => {
  let fake: FakeAmiServer;
  let d: TestDaemon;

  beforeEach(async () => {
    fake = await new FakeAmiServer().start();
    seedExtensions(fake, ['1001']);
    d = await startClusterDaemon({
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
    await d?.stop();
    await fake?.stop();
  });

  const user = async () => (await d.request('admin', 'GET', '/v1/users/u1')).body;
  const dnd = () => fake.db.get('DND/1001') === 'YES';
  const inQueue = () => Boolean(fake.member('400', MEMBER));

  it('pushes status changes to the PBX and applies PBX calls (deferred status on hangup)', async () => {
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(() => inQueue() && !dnd(), { what: 'logged in to queue 400' });
    await waitFor(async () => (await user()).pbx.sync.state === 'in-sync', { what: 'in-sync' });

    fake.startChannel(CALL);
    await waitFor(async () => (await user()).activities.length === 1, { what: 'call activity begun' });
    expect((await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' })).status).toBe(
      202,
    );
    fake.hangupChannel(CALL.uniqueid);
    const after = await waitFor(
      async () => {
        const u = await user();
        return u.status.id === 'on-break' ? u : null;
      },
      { what: 'deferred On Break' },
    );
    expect(after).toMatchObject({ status: { cause: 'deferred' }, upcoming: null, activities: [] });
    // A break is a pause with its reason (the member stays in the queue).
    await waitFor(() => fake.member('400', MEMBER)?.reason === 'On Break' && dnd(), {
      what: 'On Break reached the PBX',
    });
  });
});
