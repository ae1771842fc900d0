/**
 * Deleting a status type while users select it (issue 13): "in use" and the delete are one step with respect to
 * selection. Whatever interleaving the requests take, and whichever daemon's cached catalog still lists the type,
 * nobody is left in a deleted type; a refused delete leaves the type usable.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';

const LUNCH = { id: 'lunch', name: 'Lunch', color: '#123456' };

describe('status type delete races', () => {
  let d: TestDaemon;

  beforeEach(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
    for (let i = 0; i < 8; i++) {
      expect((await d.request('admin', 'PUT', `/v1/users/r${i}`, { displayName: `R ${i}` })).status).toBe(
        201,
      );
    }
  });
  afterEach(async () => d?.stop());

  const select = (userId: string, statusId: string) =>
    d.request('admin', 'PUT', `/v1/users/${userId}/status`, { statusId });
  const inLunch = async () => {
    const page = (await d.request('admin', 'GET', '/v1/users?limit=100')).body;
    return (page.items as Array<{ id: string; status: { id: string }; upcoming: { id: string } | null }>)
      .filter((u) => u.status.id === 'lunch' || u.upcoming?.id === 'lunch')
      .map((u) => u.id);
  };

  it('never leaves a user in a type deleted while they select it', async () => {
    for (let round = 0; round < 12; round++) {
      expect((await d.request('admin', 'POST', '/v1/status-types', LUNCH)).status).toBe(201);
      for (let i = 0; i < 8; i++) expect((await select(`r${i}`, 'active')).status).toBe(200);
      const selects = Array.from({ length: 8 }, (_, i) => select(`r${i}`, 'lunch'));
      const del = d.request('admin', 'DELETE', '/v1/status-types/lunch');
      const [gone, ...picked] = await Promise.all([del, ...selects]);
      for (const p of picked) expect([200, 404]).toContain(p.status);
      if (gone.status === 204) {
        expect(await inLunch()).toEqual([]);
        continue;
      }
      expect(gone.status).toBe(409);
      expect(gone.body.error.code).toBe('STATUS_TYPE_IN_USE');
      // Refused: the type is still there and still usable by anyone.
      expect((await select('r0', 'lunch')).status).toBe(200);
      for (let i = 0; i < 8; i++) await select(`r${i}`, 'active');
      expect((await d.request('admin', 'DELETE', '/v1/status-types/lunch')).status).toBe(204);
    }
  });

  it('refuses a selection by a daemon whose cached catalog still lists the deleted type', async () => {
    expect((await d.request('admin', 'POST', '/v1/status-types', LUNCH)).status).toBe(201);
    const catalog = d.daemon.parts!.catalog;
    const stale = new Map(await catalog.get());
    expect((await d.request('admin', 'DELETE', '/v1/status-types/lunch')).status).toBe(204);
    // As if the catalog notice had not reached this daemon yet (pub/sub lag, another daemon reconnecting).
    catalog.get = async () => stale;
    catalog.refresh = async () => undefined;
    const before = (await d.request('admin', 'GET', '/v1/users/r1')).body;
    const picked = await select('r1', 'lunch');
    expect(picked.status).toBe(404);
    expect(picked.body.error.code).toBe('STATUS_TYPE_NOT_FOUND');
    const after = (await d.request('admin', 'GET', '/v1/users/r1')).body;
    expect(after.version).toBe(before.version);
    expect(after.status.id).toBe(before.status.id);
  });

  it('lets users into a type created again under a deleted id', async () => {
    expect((await d.request('admin', 'POST', '/v1/status-types', LUNCH)).status).toBe(201);
    expect((await d.request('admin', 'DELETE', '/v1/status-types/lunch')).status).toBe(204);
    expect((await d.request('admin', 'POST', '/v1/status-types', LUNCH)).status).toBe(201);
    expect((await select('r2', 'lunch')).status).toBe(200);
    // And a type in use is still refused, with the count.
    const refused = await d.request('admin', 'DELETE', '/v1/status-types/lunch');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'STATUS_TYPE_IN_USE',
      details: { id: 'lunch', users: 1 },
    });
  });
});
