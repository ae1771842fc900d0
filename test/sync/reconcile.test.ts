/**
 * The reconcile (after a reconnect, a reload, periodically): every agent on the connection is verified against the
 * PBX by the holder itself, in batches, and drift is repaired; only an agent that cannot be verified now gets a
 * durable forced job. Against the fake AMI server, so the adapter's real reads and writes run.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { FakeAmiServer } from '../fakes/fake-ami-server.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';

const AGENTS = 30;
const ext = (i: number) => String(2001 + i);
const member = (i: number) => `Local/${ext(i)}@from-queue/n`;

describe('reconcile', () => {
  let fake: FakeAmiServer;
  let d: TestDaemon;

  beforeEach(async () => {
    fake = await new FakeAmiServer().start();
    seedExtensions(
      fake,
      Array.from({ length: AGENTS }, (_, i) => ext(i)),
    );
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      config: { sync: { backoffMs: 20, attempts: 50 }, pbx: [freepbxConnection(fake)] },
    });
    await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'AMI connected',
    });
    for (let i = 0; i < AGENTS; i++) {
      await d.request('admin', 'PUT', `/v1/users/r${i}`, {
        displayName: `Agent ${i}`,
        pbx: { connection: 'main', extension: ext(i) },
        queues: ['400'],
      });
      await d.request('admin', 'POST', `/v1/users/r${i}/shift`, {});
    }
    await waitFor(() => inQueue().length === AGENTS, { what: 'every agent in the queue' });
  });
  afterEach(async () => {
    await d.stop();
    await fake.stop();
  });

  const inQueue = () =>
    Array.from({ length: AGENTS }, (_, i) => i).filter((i) => fake.member('400', member(i)));
  /** Takes agents out of the queue behind the bridge's back. */
  const drift = (agents: number[]) => {
    const members = fake.queues.get('400') ?? [];
    for (const i of agents)
      members.splice(
        members.findIndex((m) => m.interface === member(i)),
        1,
      );
  };
  const parts = () => {
    const p = d.daemon.parts;
    if (!p || !d.daemon.redis) throw new Error('daemon not started');
    return { ...p, redis: d.daemon.redis };
  };
  /** Jobs added to the connection's BullMQ sync queue since stream id `from` (BullMQ logs each in its events stream). */
  const jobsAdded = async (from: string) => {
    const { keys, redis } = parts();
    const entries = await redis.xrange(`${keys.bullPrefix()}:pbx-sync-main:events`, `(${from}`, '+');
    return entries.filter(([, fields]) => fields[1] === 'added').length;
  };
  const lastEventId = async () => {
    const { keys, redis } = parts();
    const [last] = await redis.xrevrange(`${keys.bullPrefix()}:pbx-sync-main:events`, '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  };

  it('verifies every agent in process and repairs the drift, queueing no sync job per agent', async () => {
    const from = await lastEventId();
    fake.clearActions();
    drift([0, 7, 13, 29]);
    fake.reloadQueues(); // FreePBX "Apply Config": the bridge re-syncs every user

    await waitFor(() => inQueue().length === AGENTS, { what: 'drift repaired' });
    // Every agent was read from the PBX (a verifying sync trusts no remembered fact), not only the drifted ones.
    await waitFor(
      () => new Set(fake.actionsNamed('QueueStatus').map((a) => a.headers.member)).size === AGENTS,
      { what: 'every agent read' },
    );
    expect(await jobsAdded(from)).toBe(0);
  });

  it('an agent being synced by another worker is verified later by a durable forced job', async () => {
    const { keys, redis } = parts();
    await redis.set(keys.syncLock('r3'), 'another-worker', 'PX', 30_000);
    const from = await lastEventId();
    drift([3, 4]);
    fake.reloadQueues();

    await waitFor(() => fake.member('400', member(4)), { what: 'the free agent repaired' });
    await waitFor(async () => (await jobsAdded(from)) >= 1, { what: 'a forced job for the busy agent' });
    expect(fake.member('400', member(3))).toBeUndefined(); // still locked: not touched
    await redis.del(keys.syncLock('r3'));
    await waitFor(() => fake.member('400', member(3)), { what: 'the busy agent repaired once free' });
  });

  it('a reconcile asked for while one runs runs once more after it, however often it was asked', async () => {
    const { sync } = parts();
    fake.clearActions();
    const runs = [sync.reconcile('main'), sync.reconcile('main'), sync.reconcile('main')];
    expect(await Promise.all(runs)).toEqual([AGENTS, AGENTS, AGENTS]);
    // Two runs: the first, and one more for the asks that came while it ran (each reads every agent once).
    expect(fake.actionsNamed('QueueStatus').length).toBe(2 * AGENTS);
  });
});
