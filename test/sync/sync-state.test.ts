/**
 * A user's PBX sync state tells the truth while a change is on its way (issue 17): a change of the desired PBX
 * settings is `pending` in its own reply and until the fake PBX has answered, then `in-sync`; a change that does
 * not alter them leaves `in-sync` alone; an outage keeps the change `pending`, then `failed` after the retry budget.
 * The fake AMI server holds its answers to writes (holdWrites) so "until the PBX answers" is a fixed window.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { FakeAmiServer } from '../fakes/fake-ami-server.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';

interface Sync {
  state: 'in-sync' | 'pending' | 'failed';
  lastError: { code: string; message: string } | null;
  since: string | null;
  desiredFingerprint: string | null;
  appliedFingerprint: string | null;
}

let fake: FakeAmiServer;
let d: TestDaemon;

async function start(extensions: string[], sync: Record<string, unknown> = {}): Promise<void> {
  fake = await new FakeAmiServer().start();
  seedExtensions(fake, extensions);
  d = await startTestDaemon({
    redisUrl: inject('redisUrl'),
    config: {
      sync: { backoffMs: 20, attempts: 50, ...sync },
      // Writes are held for a while in these tests: no action timeout inside that window.
      pbx: [freepbxConnection(fake, { actionTimeoutMs: 30_000 })],
    },
  });
  await waitFor(async () => (await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
    what: 'AMI connected',
  });
}

afterEach(async () => {
  fake.releaseWrites();
  await d.stop();
  await fake.stop();
});

const syncOf = async (id: string): Promise<Sync> =>
  (await d.request('admin', 'GET', `/v1/users/${id}`)).body.pbx.sync as Sync;

/** Every id of `GET /v1/users?syncState=`, page by page. */
async function idsInSyncState(state: 'pending' | 'failed'): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await d.request(
      'supervisor',
      'GET',
      `/v1/users?syncState=${state}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    ids.push(...(page.body.items as Array<{ id: string }>).map((u) => u.id));
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return ids;
}

async function metric(name: string, labels = 'pbx="main"'): Promise<number> {
  const text = (await d.request(null, 'GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  if (line === undefined) throw new Error(`no ${name}{${labels}} in /metrics`);
  return Number(line.split(' ').pop());
}

async function addUser(id: string, extension: string, queues: string[] = []): Promise<void> {
  const res = await d.request('admin', 'PUT', `/v1/users/${id}`, {
    displayName: `Agent ${extension}`,
    pbx: { connection: 'main', extension },
    queues,
  });
  expect(res.status).toBe(201);
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

describe('PBX sync state', () => {
  it('is pending in the reply of a change and until the PBX answers, then in-sync', async () => {
    await start(['1001']);
    await addUser('u1', '1001', ['400']);
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(async () => (await syncOf('u1')).state === 'in-sync', { what: 'Active in sync' });
    const before = await syncOf('u1');
    expect(before.desiredFingerprint).toBe(before.appliedFingerprint);

    fake.holdWrites();
    const res = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    expect(res.status).toBe(200);
    const replied = res.body.user.pbx.sync as Sync;
    expect(replied.state).toBe('pending');
    expect(replied.desiredFingerprint).not.toBe(before.desiredFingerprint);
    expect(replied.appliedFingerprint).toBe(before.appliedFingerprint);
    expect(Date.parse(replied.since as string)).toBeGreaterThanOrEqual(Date.parse(before.since as string));

    // The adapter is waiting on the PBX: still pending everywhere a supervisor looks.
    await waitFor(() => fake.heldWriteCount > 0, { what: 'a write waiting for the PBX' });
    expect(await syncOf('u1')).toMatchObject({
      state: 'pending',
      desiredFingerprint: replied.desiredFingerprint,
    });
    expect(await idsInSyncState('pending')).toEqual(['u1']);
    const inStatus = async (status: string) =>
      (await d.request('supervisor', 'GET', `/v1/users?syncState=pending&status=${status}`)).body.items.map(
        (u: { id: string }) => u.id,
      );
    expect(await inStatus('on-break')).toEqual(['u1']);
    expect(await inStatus('active')).toEqual([]);
    expect(await metric('pb_sync_pending_users')).toBe(1);
    expect(await metric('pb_sync_pending_oldest_seconds')).toBeGreaterThanOrEqual(0);

    fake.releaseWrites();
    const after = await waitFor(
      async () => {
        const s = await syncOf('u1');
        return s.state === 'in-sync' ? s : null;
      },
      { what: 'On Break in sync' },
    );
    expect(after.appliedFingerprint).toBe(replied.desiredFingerprint);
    expect(fake.member('400', 'Local/1001@from-queue/n')).toMatchObject({ paused: true, reason: 'On Break' });
    expect(await idsInSyncState('pending')).toEqual([]);
    expect(await metric('pb_sync_pending_users')).toBe(0);
    expect(await metric('pb_sync_pending_oldest_seconds')).toBe(0);
  });

  it('leaves in-sync as it is for a change that does not alter the desired settings', async () => {
    await start(['1001']);
    await addUser('u1', '1001');
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(async () => (await syncOf('u1')).state === 'in-sync', { what: 'in sync' });
    const before = await syncOf('u1');

    fake.holdWrites();
    // A new display name and an activity: committed changes (the first one a sync trigger), same PBX settings.
    const renamed = await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana R.' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.pbx.sync).toMatchObject({ state: 'in-sync', since: before.since });
    const begun = await d.request('integration', 'POST', '/v1/users/u1/activities', {
      id: 't-1',
      kind: 'task',
    });
    expect(begun.status).toBeLessThan(300);
    expect(await syncOf('u1')).toEqual(before);
    expect(await idsInSyncState('pending')).toEqual([]);
    expect(fake.heldWriteCount).toBe(0);
  });

  it('keeps a change made meanwhile pending when an older sync finishes', async () => {
    await start(['1001']);
    await addUser('u1', '1001');
    await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    await waitFor(async () => (await syncOf('u1')).state === 'in-sync', { what: 'in sync' });
    const records = d.daemon.parts?.records;
    if (!records) throw new Error('no sync records');
    const active = await syncOf('u1');
    const version = (await d.request('admin', 'GET', '/v1/users/u1')).body.version as number;

    fake.holdWrites();
    const res = await d.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
    expect(res.body.user.pbx.sync.state).toBe('pending');
    // A sync that worked on the state before this change reports success late: it is not this change's.
    const details = {
      lastError: null,
      syncedAt: new Date().toISOString(),
      fingerprint: active.desiredFingerprint,
      pushed: null,
      connection: 'main',
    };
    const basis = { fingerprint: active.desiredFingerprint as string, version };
    expect(await records.markApplied('u1', details, basis)).toBe('pending');
    expect(await syncOf('u1')).toMatchObject({ state: 'pending' });
    expect(await idsInSyncState('pending')).toEqual(['u1']);

    fake.releaseWrites();
    await waitFor(async () => (await syncOf('u1')).state === 'in-sync', { what: 'the newer change in sync' });
  });

  it('takes a burst of 1000 changes: all pending, then all in-sync', { timeout: 180_000 }, async () => {
    const extensions = Array.from({ length: 1000 }, (_, i) => String(2000 + i));
    const ids = extensions.map((ext) => `burst-${ext}`);
    await start(extensions, { concurrency: 50 });
    await inBatches(extensions, 50, (ext) => addUser(`burst-${ext}`, ext));
    await waitFor(async () => (await idsInSyncState('pending')).length === 0, {
      what: 'directory entries in sync',
      timeoutMs: 60_000,
      intervalMs: 100,
    });

    fake.holdWrites();
    const replies: string[] = [];
    await inBatches(ids, 50, async (id) => {
      const res = await d.request('admin', 'POST', `/v1/users/${id}/shift`, {});
      replies.push(res.body.user.pbx.sync.state as string);
    });
    expect(replies).toHaveLength(1000);
    expect(replies.every((s) => s === 'pending')).toBe(true);
    expect((await idsInSyncState('pending')).sort()).toEqual([...ids].sort());
    expect(await metric('pb_sync_pending_users')).toBe(1000);

    fake.releaseWrites();
    await waitFor(async () => (await metric('pb_sync_pending_users')) === 0, {
      what: 'all 1000 in sync',
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    expect(await idsInSyncState('pending')).toEqual([]);
    const states = await Promise.all(ids.map(async (id) => (await syncOf(id)).state));
    expect(states.every((s) => s === 'in-sync')).toBe(true);
  });

  it('keeps changes pending through a PBX outage, then failed after the retry budget', async () => {
    const extensions = Array.from({ length: 20 }, (_, i) => String(3000 + i));
    const ids = extensions.map((ext) => `out-${ext}`);
    await start(extensions, { attempts: 3, backoffMs: 300 });
    await inBatches(extensions, 20, (ext) => addUser(`out-${ext}`, ext));
    await waitFor(async () => (await idsInSyncState('pending')).length === 0, { what: 'in sync' });

    await fake.refuse();
    await waitFor(async () => !(await d.request('admin', 'GET', '/v1/pbx')).body.connections[0].connected, {
      what: 'outage seen',
    });
    const replies = await Promise.all(
      ids.map(
        async (id) => (await d.request('admin', 'POST', `/v1/users/${id}/shift`, {})).body.user.pbx.sync,
      ),
    );
    expect(replies.map((s: Sync) => s.state)).toEqual(ids.map(() => 'pending'));

    // Retried: still pending, now with the error.
    await waitFor(
      async () => {
        const s = await syncOf(ids[0] as string);
        return s.state === 'pending' && s.lastError?.code === 'PBX_UNAVAILABLE';
      },
      { what: 'pending with the retry error', intervalMs: 5 },
    );
    await waitFor(async () => (await idsInSyncState('failed')).length === ids.length, {
      what: 'all failed after the budget',
      timeoutMs: 15_000,
    });
    expect(await metric('pb_sync_jobs_total', 'pbx="main",outcome="retry"')).toBe(ids.length * 2);
    expect(await metric('pb_sync_failed_users')).toBe(ids.length);
    expect(await metric('pb_sync_pending_users')).toBe(0);
    expect(await syncOf(ids[0] as string)).toMatchObject({
      state: 'failed',
      lastError: { code: 'PBX_UNAVAILABLE' },
    });

    // Back up: the reconcile after the reconnect brings everyone in step.
    await fake.accept();
    await waitFor(async () => (await idsInSyncState('failed')).length === 0, {
      what: 'reconciled after the outage',
      timeoutMs: 15_000,
    });
    expect(await idsInSyncState('pending')).toEqual([]);
  });

  it('refuses an unknown syncState filter', async () => {
    await start([]);
    const res = await d.request('supervisor', 'GET', '/v1/users?syncState=in-sync');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});
