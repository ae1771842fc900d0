/**
 * The store on a three-master Redis Cluster: partitions really are spread over the masters, and every read and
 * write path (commit script, listing pipelines, SCAN-based counts, status-type usage) works across them.
 */
import type { Cluster } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { startClusterDaemon } from './helpers.js';

describe('user store on Redis Cluster', () => {
  let d: TestDaemon;

  beforeEach(async () => {
    d = await startClusterDaemon();
  });
  afterEach(async () => d?.stop());

  const cluster = () => d.daemon.redis as unknown as Cluster;

  it('runs on a Cluster client whose partitions live on more than one master', async () => {
    expect(d.daemon.redis?.isCluster).toBe(true);
    const keys = d.daemon.parts!.keys;
    const slots = (await cluster().call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    const owners = new Set<string>();
    for (const p of keys.allPartitions()) {
      const slot = Number(await cluster().call('CLUSTER', 'KEYSLOT', keys.events(p)));
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      owners.add(String(range?.[2][1]));
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it('creates users, changes statuses, lists, filters and counts across partitions', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
    for (const id of ids)
      expect((await d.request('admin', 'PUT', `/v1/users/${id}`, { displayName: id })).status).toBe(201);
    for (const id of ids.slice(0, 10))
      expect(
        (await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'active' })).status,
      ).toBe(200);
    for (const id of ids.slice(0, 4))
      expect(
        (await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'on-break' })).status,
      ).toBe(200);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await d.request(
        'supervisor',
        'GET',
        `/v1/users?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((u: { id: string }) => u.id));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(ids);

    const onBreak = await d.request('supervisor', 'GET', '/v1/users?status=on-break&limit=100');
    expect(onBreak.body.items.map((u: { id: string }) => u.id)).toEqual(ids.slice(0, 4));
    const active = await d.request('supervisor', 'GET', '/v1/users?status=active&limit=100');
    expect(active.body.items.map((u: { id: string }) => u.id)).toEqual(ids.slice(4, 10));

    const counts = await d.daemon.parts!.store.countByStatus();
    expect(counts.get('on-break')).toBe(4);
    expect(counts.get('active')).toBe(6);
    expect((await d.request('admin', 'GET', '/metrics')).body).toMatch(/status="on-break"} 4/);

    // A status type in use cannot be deleted (usage summed over every partition).
    expect(await d.daemon.parts!.store.statusTypeUsage('on-break')).toBe(4);

    const history = await d.request('supervisor', 'GET', `/v1/users/${ids[0]}/history`);
    expect(history.body.items.map((s: { statusId: string }) => s.statusId).slice(0, 2)).toEqual([
      'on-break',
      'active',
    ]);
  });

  it('deletes a status type atomically with selection, and keeps heartbeats cheap, across partitions', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `del-${i}`);
    for (const id of ids) await d.request('admin', 'PUT', `/v1/users/${id}`, { displayName: id });
    const type = { id: 'lunch', name: 'Lunch', color: '#123456' };
    expect((await d.request('admin', 'POST', '/v1/status-types', type)).status).toBe(201);
    expect(
      (await d.request('supervisor', 'PUT', '/v1/users/del-3/status', { statusId: 'lunch' })).status,
    ).toBe(200);
    const refused = await d.request('admin', 'DELETE', '/v1/status-types/lunch');
    expect(refused.body.error).toMatchObject({ code: 'STATUS_TYPE_IN_USE', details: { users: 1 } });
    // The refusal left no partition closed: another user can still enter it.
    expect(
      (await d.request('supervisor', 'PUT', '/v1/users/del-7/status', { statusId: 'lunch' })).status,
    ).toBe(200);
    for (const id of ['del-3', 'del-7'])
      await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'active' });
    expect((await d.request('admin', 'DELETE', '/v1/status-types/lunch')).status).toBe(204);
    const catalog = d.daemon.parts!.catalog;
    const stale = new Map(await catalog.get());
    stale.set('lunch', { ...stale.get('active')!, id: 'lunch' });
    catalog.get = async () => stale;
    catalog.refresh = async () => undefined;
    for (const id of ids) {
      const picked = await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'lunch' });
      expect(picked.status, id).toBe(404);
    }
    // Heartbeats while online: 204, no new version (the lastSeen lives in the partition's own slot).
    await d.request('integration', 'POST', '/v1/users/del-1/heartbeat');
    const before = (await d.request('admin', 'GET', '/v1/users/del-1')).body;
    for (let i = 0; i < 5; i++)
      expect((await d.request('integration', 'POST', '/v1/users/del-1/heartbeat')).status).toBe(204);
    const after = (await d.request('admin', 'GET', '/v1/users/del-1')).body;
    expect(after.version).toBe(before.version);
    const listed = await d.request('supervisor', 'GET', '/v1/users?limit=100');
    expect(listed.status).toBe(200);
  });

  it('keeps concurrent commits to one user atomic: versions contiguous, one span and one event per change', async () => {
    await d.request('admin', 'PUT', '/v1/users/busy', { displayName: 'Busy' });
    const store = d.daemon.parts!.store;
    const start = (await d.request('supervisor', 'GET', '/v1/users/busy')).body;
    const spansBefore = (await store.history('busy', 10_000)).length;
    const CYCLE = ['active', 'idle', 'on-break'];
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        d.request('supervisor', 'PUT', '/v1/users/busy/status', { statusId: CYCLE[i % CYCLE.length] }),
      ),
    );
    for (const a of answers) expect([200, 409]).toContain(a.status);
    const final = (await d.request('supervisor', 'GET', '/v1/users/busy')).body;
    const applied = final.version - start.version;
    expect(applied).toBeGreaterThan(0);
    const versions = new Set(
      answers.filter((a) => a.status === 200).map((a) => a.body.user.version as number),
    );
    for (let v = start.version + 1; v <= final.version; v++)
      expect(versions.has(v), `version ${v}`).toBe(true);

    const spans = await store.history('busy', 10_000);
    const newSpans = spans.slice(0, spans.length - spansBefore).reverse();
    expect(newSpans).toHaveLength(applied);
    for (let i = 1; i < newSpans.length; i++) expect(newSpans[i]!.from).toBe(newSpans[i - 1]!.to);
    await waitFor(async () => (await store.countByStatus()).get(final.status.id) === 1, {
      what: 'the index to agree with the state',
    });
  });
});
