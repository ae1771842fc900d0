/**
 * Ids that are Object.prototype's keys, through the API against a real daemon (issue 13): the status type
 * "Constructor" (id `constructor`) keeps its per-shift limit, and users named like prototype keys are users.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon({ redisUrl: inject('redisUrl') });
});
afterAll(async () => d?.stop());

describe('prototype keys as ids', () => {
  it('a type with the id "constructor" and a per-shift limit of 1 enforces it', async () => {
    const created = await d.request('admin', 'POST', '/v1/status-types', {
      name: 'Constructor',
      color: '#445566',
      limitPerShift: 1,
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toBe('constructor');
    expect((await d.request('admin', 'PUT', '/v1/users/p1', { displayName: 'P' })).status).toBe(201);
    const select = (statusId: string) => d.request('supervisor', 'PUT', '/v1/users/p1/status', { statusId });
    expect((await select('constructor')).status).toBe(200);
    expect((await select('active')).status).toBe(200);
    const refused = await select('constructor');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'STATUS_LIMIT_REACHED',
      details: { limit: 1, used: 1 },
    });
    const user = (await d.request('admin', 'GET', '/v1/users/p1')).body;
    expect(user.shift.usage).toEqual({ constructor: 1, active: 1 });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'a user with the id %s is stored, listed and changed like any other',
    async (id) => {
      expect((await d.request('admin', 'PUT', `/v1/users/${id}`, { displayName: id })).status).toBe(201);
      expect(
        (await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'idle' })).status,
      ).toBe(200);
      const user = (await d.request('admin', 'GET', `/v1/users/${id}`)).body;
      expect(user).toMatchObject({ id, displayName: id, status: { id: 'idle' } });
    },
  );
});
