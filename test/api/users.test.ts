/**
 * /v1/users against the real daemon and Redis (API.md "Users" and "Conventions"): the directory (upsert, paging,
 * filter, delete), every error code of the user endpoints with "a request that fails changes nothing", If-Match,
 * idempotent activities, upcoming-status rules, heartbeats, and the transport-level answers (413, 415, bad JSON,
 * unknown route).
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('users', () => {
  let d: TestDaemon;
  const others: TestDaemon[] = [];

  beforeEach(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.stop();
    await d?.stop();
  });

  const get = async (id = 'u1', daemon = d) => (await daemon.request('admin', 'GET', `/v1/users/${id}`)).body;
  const put = (id: string, body: unknown, daemon = d) =>
    daemon.request('admin', 'PUT', `/v1/users/${id}`, body);
  const select = (statusId: string, id = 'u1', headers: Record<string, string> = {}, daemon = d) =>
    daemon.request('agent', 'PUT', `/v1/users/${id}/status`, { statusId }, headers);
  const begin = (activityId: string, id = 'u1', kind = 'call') =>
    d.request('integration', 'POST', `/v1/users/${id}/activities`, { id: activityId, kind });
  const end = (activityId: string, id = 'u1') =>
    d.request('integration', 'DELETE', `/v1/users/${id}/activities/${encodeURIComponent(activityId)}`);

  /** Runs a request that must fail with `status`/`code`, and checks the user is exactly as before. */
  async function refusedWithoutChange(
    request: () => ReturnType<TestDaemon['request']>,
    status: number,
    code: string,
    id = 'u1',
    daemon = d,
  ) {
    const before = await get(id, daemon);
    const historyBefore = (await daemon.request('admin', 'GET', `/v1/users/${id}/history`)).body;
    const response = await request();
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(response.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(await get(id, daemon)).toEqual(before);
    const historyAfter = (await daemon.request('admin', 'GET', `/v1/users/${id}/history`)).body;
    expect(historyAfter.items.map((s: { from: string }) => s.from)).toEqual(
      historyBefore.items.map((s: { from: string }) => s.from),
    );
    return response.body.error;
  }

  describe('directory', () => {
    it('upserts: 201 when created, 200 when updated, and GET returns the entry', async () => {
      const created = await put('u1', {
        displayName: 'Dana',
        pbx: { connection: 'main', extension: '1001' },
        mobile: '+4915112345678',
        queues: ['sales', 'support'],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: 'u1',
        displayName: 'Dana',
        status: {
          id: 'offline',
          name: 'Offline',
          color: expect.any(String),
          since: expect.stringMatching(ISO),
        },
        upcoming: null,
        activities: [],
        shift: null,
        overage: null,
        connection: { state: 'unknown' },
        pbx: { connection: 'main', extension: '1001', sync: { state: expect.any(String) } },
        mobile: '+4915112345678',
        queues: ['sales', 'support'],
        version: 1,
      });
      // pbx.sync moves on its own (the sync pipeline reports on the unconfigured connection "main"); the rest is stored.
      const withoutSync = (u: { pbx: object }) => ({ ...u, pbx: { ...u.pbx, sync: undefined } });
      expect(withoutSync(await get())).toEqual(withoutSync(created.body));

      const updated = await d.request('integration', 'PUT', '/v1/users/u1', { displayName: 'Dana S.' });
      expect(updated.status).toBe(200);
      // Fields left out keep their values.
      expect(updated.body).toMatchObject({
        displayName: 'Dana S.',
        pbx: { connection: 'main', extension: '1001' },
        mobile: '+4915112345678',
        queues: ['sales', 'support'],
        version: 2,
      });
      // null clears an optional field.
      const cleared = await put('u1', { displayName: 'Dana S.', pbx: null, mobile: null, queues: [] });
      expect(cleared.body).toMatchObject({ pbx: null, mobile: null, queues: [], version: 3 });
      // The same entry again is not a change.
      const same = await put('u1', { displayName: 'Dana S.' });
      expect(same.status).toBe(200);
      expect(same.body.version).toBe(3);
    });

    it('answers 404 USER_NOT_FOUND for an unknown user on every user route', async () => {
      const routes: Array<['GET' | 'PUT' | 'POST' | 'DELETE', string, unknown?]> = [
        ['GET', '/v1/users/ghost'],
        ['DELETE', '/v1/users/ghost'],
        ['GET', '/v1/users/ghost/history'],
        ['PUT', '/v1/users/ghost/status', { statusId: 'active' }],
        ['DELETE', '/v1/users/ghost/status/upcoming'],
        ['POST', '/v1/users/ghost/shift', {}],
        ['DELETE', '/v1/users/ghost/shift'],
        ['POST', '/v1/users/ghost/activities', { id: 'a', kind: 'call' }],
        ['DELETE', '/v1/users/ghost/activities/a'],
        ['POST', '/v1/users/ghost/heartbeat'],
        ['DELETE', '/v1/users/ghost/wrap-up'],
      ];
      for (const [method, url, body] of routes) {
        const response = await d.request('admin', method, url, body);
        expect(response.status, `${method} ${url}`).toBe(404);
        expect(response.body.error.code, `${method} ${url}`).toBe('USER_NOT_FOUND');
      }
      // None of them created the user.
      expect((await d.request('admin', 'GET', '/v1/users')).body.items).toEqual([]);
    });

    it('deletes a user: 204, then 404 USER_NOT_FOUND', async () => {
      await put('u1', { displayName: 'Dana' });
      await select('active');
      const deleted = await d.request('admin', 'DELETE', '/v1/users/u1');
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeUndefined();
      expect((await d.request('admin', 'GET', '/v1/users/u1')).body.error.code).toBe('USER_NOT_FOUND');
      const again = await d.request('admin', 'DELETE', '/v1/users/u1');
      expect(again.status).toBe(404);
      expect(again.body.error.code).toBe('USER_NOT_FOUND');
      expect((await d.request('admin', 'GET', '/v1/users')).body.items).toEqual([]);
      expect((await d.request('admin', 'GET', '/v1/users?status=active')).body.items).toEqual([]);
      // Recreated from scratch: version 1, no history of the old one.
      expect((await put('u1', { displayName: 'Dana' })).status).toBe(201);
      expect((await get()).version).toBe(1);
      expect((await d.request('admin', 'GET', '/v1/users/u1/history')).body.items).toHaveLength(1);
    });

    it('pages through all users exactly once, in id order', async () => {
      // Ids that sort differently by byte, by locale and by number, spread over every partition.
      const ids = ['u1', 'u2', 'u10', 'U3', 'a.b', 'a-b', 'a_b', 'z@x', 'm:1', '0', '9+1', 'Zed'];
      for (let i = 0; i < 13; i++) ids.push(`agent-${String(i).padStart(2, '0')}`);
      for (const id of ids) expect((await put(id, { displayName: id })).status).toBe(201);
      const byteOrder = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

      for (const limit of [1, 4, 7, 25, 500]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const url: string = `/v1/users?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const page = await d.request('supervisor', 'GET', url);
          expect(page.status).toBe(200);
          expect(page.body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.body.items.map((u: { id: string }) => u.id));
          cursor = page.body.nextCursor;
          pages += 1;
          expect(pages).toBeLessThanOrEqual(ids.length + 1);
        } while (cursor);
        expect(seen, `limit ${limit}`).toEqual(byteOrder);
        expect(pages).toBe(Math.max(1, Math.ceil(ids.length / limit)));
      }
      // The default page holds everyone here and says there is no more.
      const all = await d.request('admin', 'GET', '/v1/users');
      expect(all.body.items).toHaveLength(ids.length);
      expect(all.body.nextCursor).toBeNull();
    });

    it('filters by current status, with paging', async () => {
      const ids = ['b1', 'b2', 'b3', 'b4', 'b5', 'a1', 'a2', 'o1'];
      for (const id of ids) await put(id, { displayName: id });
      for (const id of ids.filter((i) => i.startsWith('b')))
        await d.request('admin', 'PUT', `/v1/users/${id}/status`, { statusId: 'on-break' });
      for (const id of ['a1', 'a2'])
        await d.request('admin', 'PUT', `/v1/users/${id}/status`, { statusId: 'active' });
      // b5 leaves the break again: the filter follows the current status.
      await d.request('admin', 'PUT', '/v1/users/b5/status', { statusId: 'active' });

      const walk = async (status: string, limit: number) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const url: string = `/v1/users?status=${status}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await d.request('supervisor', 'GET', url);
          expect(page.status).toBe(200);
          for (const user of page.body.items) expect(user.status.id).toBe(status);
          seen.push(...page.body.items.map((u: { id: string }) => u.id));
          cursor = page.body.nextCursor;
        } while (cursor);
        return seen;
      };
      expect(await walk('on-break', 2)).toEqual(['b1', 'b2', 'b3', 'b4']);
      expect(await walk('active', 1)).toEqual(['a1', 'a2', 'b5']);
      expect(await walk('offline', 10)).toEqual(['o1']);
      expect(await walk('idle', 10)).toEqual([]);
    });

    it('refuses invalid list queries with 400 VALIDATION_FAILED naming the parameter', async () => {
      for (const [query, path] of [
        ['limit=0', 'query.limit'],
        ['limit=501', 'query.limit'],
        ['limit=abc', 'query.limit'],
        // Only decimal digits are a count (z.coerce.number() took these as 16, 10, 16 and 0).
        ['limit=0x10', 'query.limit'],
        ['limit=1e1', 'query.limit'],
        ['limit=%2016', 'query.limit'],
        ['limit=', 'query.limit'],
        ['status=Not%20An%20Id', 'query.status'],
        ['colour=red', 'query.colour'],
      ]) {
        const response = await d.request('admin', 'GET', `/v1/users?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body.error.code).toBe('VALIDATION_FAILED');
        expect(response.body.error.details.issues).toEqual([{ path, message: expect.any(String) }]);
      }
    });

    it.each([
      ['no displayName', {}, 'displayName'],
      ['empty displayName', { displayName: ' ' }, 'displayName'],
      ['NUL in displayName', { displayName: 'Da\u0000na' }, 'displayName'],
      ['tab in displayName', { displayName: 'Da\tna' }, 'displayName'],
      ['C1 control in displayName', { displayName: 'Da\u0085na' }, 'displayName'],
      ['bidi override in displayName', { displayName: 'Dana\u202Egnp.exe' }, 'displayName'],
      ['bidi isolate in displayName', { displayName: 'Dana\u2067x' }, 'displayName'],
      ['lone high surrogate in displayName', { displayName: 'Dana\ud800' }, 'displayName'],
      ['lone low surrogate in displayName', { displayName: '\udc00Dana' }, 'displayName'],
      [
        'bad extension',
        { displayName: 'x', pbx: { connection: 'main', extension: '10 01' } },
        'pbx.extension',
      ],
      ['bad mobile', { displayName: 'x', mobile: 'call me' }, 'mobile'],
      ['bad queue', { displayName: 'x', queues: ['sales team'] }, 'queues.0'],
      ['unknown field', { displayName: 'x', role: 'boss' }, 'role'],
    ])('refuses an invalid directory entry (%s) and changes nothing', async (_why, body, path?: string) => {
      await put('u1', { displayName: 'Dana' });
      const error = await refusedWithoutChange(() => put('u1', body), 400, 'VALIDATION_FAILED');
      expect(error.details.issues.length).toBeGreaterThan(0);
      if (path) expect(error.details.issues).toEqual([{ path, message: expect.any(String) }]);
      // And does not create a user that did not exist.
      expect((await put('u9', body)).status).toBe(400);
      expect((await d.request('admin', 'GET', '/v1/users/u9')).status).toBe(404);
    });

    const rawPut = (path: string, body: unknown) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(d.url);
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: 'PUT',
            path,
            headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });

    it.each(['.', '..', 'a..b', '..a', 'a..'])(
      'refuses the user id %j, which browsers resolve away as a path segment (400, nothing created)',
      async (id) => {
        // Over a socket, path as is: URL parsers (light-my-request's included) would resolve "." and ".." away.
        const response = await rawPut(`/v1/users/${id}`, { displayName: 'Dot' });
        expect(response.status).toBe(400);
        expect(JSON.parse(response.body).error).toMatchObject({
          code: 'VALIDATION_FAILED',
          details: { issues: [{ path: 'params.id', message: expect.any(String) }] },
        });
        const list = (await d.request('admin', 'GET', '/v1/users')).body;
        expect(list.items.map((u: { id: string }) => u.id)).not.toContain(id);
      },
    );

    it('still accepts ids with single dots', async () => {
      expect((await put('first.last', { displayName: 'F L' })).status).toBe(201);
    });

    it('refuses invalid history queries with 400 naming the parameter', async () => {
      await put('u1', { displayName: 'Dana' });
      for (const [query, path] of [
        ['from=yesterday', 'query.from'],
        ['to=2026-13-01T00:00:00Z', 'query.to'],
        ['limit=0', 'query.limit'],
      ]) {
        const response = await d.request('admin', 'GET', `/v1/users/u1/history?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body.error.details.issues).toEqual([{ path, message: expect.any(String) }]);
      }
    });

    it('refuses a malformed user id with 400', async () => {
      const response = await put('bad%20id', { displayName: 'x' });
      expect(response.status).toBe(400);
      expect(response.body.error.details.issues).toEqual([
        { path: 'params.id', message: expect.any(String) },
      ]);
    });
  });

  describe('status changes and their errors', () => {
    beforeEach(async () => {
      expect((await put('u1', { displayName: 'Dana' })).status).toBe(201);
    });

    it('applies a status: 200 {applied: true, user}', async () => {
      const applied = await select('on-break');
      expect(applied.status).toBe(200);
      expect(applied.body).toMatchObject({
        applied: true,
        user: {
          status: { id: 'on-break', name: 'On Break', color: '#F5A623', since: expect.stringMatching(ISO) },
          upcoming: null,
          shift: { usage: { 'on-break': 1 } },
          version: 2,
        },
      });
      expect(await get()).toEqual(applied.body.user);
    });

    it('404 STATUS_TYPE_NOT_FOUND for an unknown status, on select and on shift start', async () => {
      await refusedWithoutChange(() => select('no-such-status'), 404, 'STATUS_TYPE_NOT_FOUND');
      await refusedWithoutChange(
        () => d.request('agent', 'POST', '/v1/users/u1/shift', { statusId: 'no-such-status' }),
        404,
        'STATUS_TYPE_NOT_FOUND',
      );
    });

    it('409 STATUS_LIMIT_REACHED with details {limit, used}', async () => {
      await d.request('admin', 'PATCH', '/v1/status-types/on-break', { limitPerShift: 2 });
      for (let i = 0; i < 2; i++) {
        expect((await select('on-break')).status).toBe(200);
        expect((await select('active')).status).toBe(200);
      }
      const error = await refusedWithoutChange(() => select('on-break'), 409, 'STATUS_LIMIT_REACHED');
      expect(error.details).toEqual({ limit: 2, used: 2 });
      // Also refused when chosen while engaged (checked when selected).
      await begin('call-1');
      await refusedWithoutChange(() => select('on-break'), 409, 'STATUS_LIMIT_REACHED');
    });

    it('409 NO_SHIFT where config requires a started shift', async () => {
      const strict = await startTestDaemon({
        redisUrl: inject('redisUrl'),
        config: { status: { requireShift: true } },
      });
      others.push(strict);
      expect((await put('u1', { displayName: 'Dana' }, strict)).status).toBe(201);
      await refusedWithoutChange(() => select('active', 'u1', {}, strict), 409, 'NO_SHIFT', 'u1', strict);
      const started = await strict.request('agent', 'POST', '/v1/users/u1/shift', {});
      expect(started.status).toBe(200);
      expect(started.body.user).toMatchObject({
        status: { id: 'active' },
        shift: { id: expect.any(String) },
      });
      expect((await select('on-break', 'u1', {}, strict)).status).toBe(200);
    });

    it('409 NO_SHIFT when ending a shift that was not started', async () => {
      await refusedWithoutChange(() => d.request('agent', 'DELETE', '/v1/users/u1/shift'), 409, 'NO_SHIFT');
    });

    it('starts a shift with the configured default, or the given status; 409 SHIFT_ALREADY_STARTED', async () => {
      const started = await d.request('agent', 'POST', '/v1/users/u1/shift', {});
      expect(started.status).toBe(200);
      expect(started.body.user).toMatchObject({
        status: { id: 'active', cause: 'shift-start' },
        shift: { id: expect.any(String), startedAt: expect.stringMatching(ISO), usage: { active: 1 } },
      });
      await refusedWithoutChange(
        () => d.request('agent', 'POST', '/v1/users/u1/shift', { statusId: 'idle' }),
        409,
        'SHIFT_ALREADY_STARTED',
      );
      await put('u2', { displayName: 'Eve' });
      const withStatus = await d.request('admin', 'POST', '/v1/users/u2/shift', { statusId: 'idle' });
      expect(withStatus.body.user.status.id).toBe('idle');
    });

    it('starts a shift without a body (statusId is optional)', async () => {
      const started = await d.request('agent', 'POST', '/v1/users/u1/shift');
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      expect(started.body.user.status.id).toBe('active');
    });

    it('ends a shift (Offline) only from a type that can: 409 CANNOT_END_SHIFT', async () => {
      await d.request('agent', 'POST', '/v1/users/u1/shift', {});
      await select('on-break');
      await refusedWithoutChange(
        () => d.request('agent', 'DELETE', '/v1/users/u1/shift'),
        409,
        'CANNOT_END_SHIFT',
      );
      await select('active');
      const ended = await d.request('agent', 'DELETE', '/v1/users/u1/shift');
      expect(ended.status).toBe(200);
      expect(ended.body.user).toMatchObject({ status: { id: 'offline', cause: 'shift-end' }, shift: null });
    });

    it('409 USER_ENGAGED when ending a shift during an activity', async () => {
      await d.request('agent', 'POST', '/v1/users/u1/shift', {});
      await begin('call-1');
      await refusedWithoutChange(
        () => d.request('agent', 'DELETE', '/v1/users/u1/shift'),
        409,
        'USER_ENGAGED',
      );
      await end('call-1');
      expect((await d.request('agent', 'DELETE', '/v1/users/u1/shift')).status).toBe(200);
    });

    it('409 NOT_IN_WRAP_UP when ending a wrap-up that is not running; ends one that is', async () => {
      await refusedWithoutChange(
        () => d.request('agent', 'DELETE', '/v1/users/u1/wrap-up'),
        409,
        'NOT_IN_WRAP_UP',
      );
      await put('u1', { displayName: 'Dana', wrapUpSeconds: 600 });
      await select('active');
      await begin('call-1');
      expect((await select('on-break')).status).toBe(202);
      const ended = await end('call-1');
      expect(ended.body.user).toMatchObject({ wrapUp: { activityId: 'call-1' }, status: { id: 'active' } });
      const done = await d.request('agent', 'DELETE', '/v1/users/u1/wrap-up');
      expect(done.status).toBe(200);
      expect(done.body.user).toMatchObject({
        wrapUp: null,
        upcoming: null,
        status: { id: 'on-break', cause: 'deferred' },
      });
    });

    it('shows the wrap-up countdown and extends it up to wrapUpMaxSeconds (409 past it, 400 for bad seconds)', async () => {
      const extend = (body: unknown, role: 'agent' | 'supervisor' | 'integration' | 'admin' = 'agent') =>
        d.request(role, 'POST', '/v1/users/u1/wrap-up/extend', body);
      await refusedWithoutChange(() => extend({ seconds: 30 }), 409, 'NOT_IN_WRAP_UP');
      await put('u1', { displayName: 'Dana', wrapUpSeconds: 300 });
      await select('active');
      await begin('call-1');
      const ended = (await end('call-1')).body.user;
      const { since, until } = ended.wrapUp;
      expect(Date.parse(until) - Date.parse(since)).toBe(300_000);
      expect((await get()).wrapUp).toEqual({ activityId: 'call-1', since, until });

      const longer = await extend({ seconds: 120 });
      expect(longer.status).toBe(200);
      expect(Date.parse(longer.body.user.wrapUp.until) - Date.parse(until)).toBe(120_000);
      expect((await extend({ seconds: 60 }, 'supervisor')).status).toBe(200);
      expect((await extend({ seconds: 60 }, 'integration')).status).toBe(200);
      // 300 + 120 + 60 + 60 = 540 of the default 600: 60 more fit, 61 do not.
      const refused = await refusedWithoutChange(
        () => extend({ seconds: 61 }, 'admin'),
        409,
        'WRAP_UP_LIMIT_REACHED',
      );
      expect(refused.details).toEqual({ maxSeconds: 600, remainingSeconds: 60 });
      for (const bad of [{ seconds: 0 }, { seconds: 1.5 }, { seconds: 3601 }, {}, { seconds: '5' }])
        await refusedWithoutChange(() => extend(bad), 400, 'VALIDATION_FAILED');
      expect((await extend({ seconds: 60 })).body.user.wrapUp.until).toBe(
        new Date(Date.parse(since) + 600_000).toISOString(),
      );
    });

    it('409 VERSION_CONFLICT for a stale If-Match, which changes nothing; a current one succeeds', async () => {
      await select('active');
      const { version } = await get();
      expect(version).toBe(2);
      for (const stale of [String(version - 1), `"${version + 1}"`, '0']) {
        const error = await refusedWithoutChange(
          () => select('on-break', 'u1', { 'if-match': stale }),
          409,
          'VERSION_CONFLICT',
        );
        expect(error.details).toMatchObject({ current: version });
      }
      const applied = await select('on-break', 'u1', { 'if-match': String(version) });
      expect(applied.status).toBe(200);
      expect(applied.body.user).toMatchObject({ status: { id: 'on-break' }, version: version + 1 });
      // ETag-style quoting is accepted too.
      const quoted = await select('idle', 'u1', { 'if-match': `"${version + 1}"` });
      expect(quoted.status).toBe(200);
      expect(quoted.body.user.version).toBe(version + 2);
      // Not a version at all: a validation error, not a conflict.
      await refusedWithoutChange(
        () => select('active', 'u1', { 'if-match': 'yesterday' }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('honours If-Match on every write to a user', async () => {
      await put('u1', { displayName: 'Dana', wrapUpSeconds: 600 });
      const writes: Array<[string, 'PUT' | 'POST' | 'DELETE', string, unknown?]> = [
        ['directory', 'PUT', '/v1/users/u1', { displayName: 'Renamed' }],
        ['shift start', 'POST', '/v1/users/u1/shift', {}],
        ['status', 'PUT', '/v1/users/u1/status', { statusId: 'idle' }],
        ['activity begin', 'POST', '/v1/users/u1/activities', { id: 'c-1', kind: 'call' }],
        ['upcoming cancel', 'DELETE', '/v1/users/u1/status/upcoming'],
        ['activity end', 'DELETE', '/v1/users/u1/activities/c-1'],
        ['wrap-up end', 'DELETE', '/v1/users/u1/wrap-up'],
        ['heartbeat', 'POST', '/v1/users/u1/heartbeat'],
        ['shift end', 'DELETE', '/v1/users/u1/shift'],
        ['delete', 'DELETE', '/v1/users/u1'],
      ];
      for (const [what, method, url, body] of writes) {
        if (what === 'upcoming cancel')
          await d.request('admin', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
        const { version } = await get();
        await refusedWithoutChange(
          () => d.request('admin', method, url, body, { 'if-match': String(version - 1) }),
          409,
          'VERSION_CONFLICT',
        );
        const done = await d.request('admin', method, url, body, { 'if-match': String(version) });
        expect(done.status, `${what}: ${JSON.stringify(done.body)}`).toBeLessThan(300);
      }
      expect((await d.request('admin', 'GET', '/v1/users/u1')).status).toBe(404);
    });

    it('refuses an invalid status body with 400 and changes nothing', async () => {
      for (const body of [
        {},
        { statusId: '' },
        { statusId: 'Active' },
        { statusId: 'active', extra: 1 },
        'active',
      ]) {
        const error = await refusedWithoutChange(
          () => d.request('agent', 'PUT', '/v1/users/u1/status', body),
          400,
          'VALIDATION_FAILED',
        );
        expect(error.details.issues.length).toBeGreaterThan(0);
      }
    });
  });

  describe('activities and upcoming status', () => {
    beforeEach(async () => {
      await put('u1', { displayName: 'Dana' });
      await d.request('agent', 'POST', '/v1/users/u1/shift', {});
    });

    it('is idempotent on the activity id: begin twice → one activity', async () => {
      const first = await begin('1700000000.42');
      expect(first.status).toBe(201);
      expect(first.body.user.activities).toEqual([
        { id: '1700000000.42', kind: 'call', source: expect.any(String), since: expect.stringMatching(ISO) },
      ]);
      const second = await begin('1700000000.42', 'u1', 'task');
      expect(second.status).toBe(200);
      expect(second.body.user).toEqual(first.body.user);
      expect((await get()).activities).toHaveLength(1);
    });

    it('ends idempotently; the end of an unknown activity is remembered so its late begin is ignored', async () => {
      await begin('a-1');
      const ended = await end('a-1');
      expect(ended.status).toBe(200);
      expect(ended.body.user.activities).toEqual([]);
      const version = ended.body.user.version;
      const again = await end('a-1');
      expect(again.status).toBe(200);
      expect(again.body.user.version).toBe(version);
      const unknown = await end('never-began');
      expect(unknown.status).toBe(200);
      expect(unknown.body.user.version).toBe(version + 1);
      expect((await end('never-began')).body.user.version).toBe(version + 1);
      // The begin that arrives after its end does not leave the user engaged forever.
      const late = await begin('never-began');
      expect(late.status).toBe(200);
      expect(late.body.user.activities).toEqual([]);
    });

    it('takes PBX-style activity ids with "/" (URL-encoded in the path)', async () => {
      expect((await begin('SIP/1001-0000002a')).body.user.activities).toHaveLength(1);
      const ended = await end('SIP/1001-0000002a');
      expect(ended.status).toBe(200);
      expect(ended.body.user.activities).toEqual([]);
    });

    it('does not re-engage on a late begin after the end of the same id', async () => {
      await begin('a-1');
      const ended = await end('a-1');
      const late = await begin('a-1');
      expect(late.status).toBe(200);
      expect(late.body.user.activities).toEqual([]);
      expect(late.body.user.version).toBe(ended.body.user.version);
      // Not engaged: a selection applies at once.
      expect((await select('on-break')).status).toBe(200);
    });

    it('defers a selection while engaged (202), replaces the previous upcoming, applies it when the last activity ends', async () => {
      await begin('a-1');
      await begin('a-2', 'u1', 'chat');
      const deferred = await select('on-break');
      expect(deferred.status).toBe(202);
      expect(deferred.body).toMatchObject({
        applied: false,
        user: {
          status: { id: 'active' },
          upcoming: { id: 'on-break', name: 'On Break', selectedAt: expect.stringMatching(ISO) },
        },
      });
      const replaced = await select('idle');
      expect(replaced.status).toBe(202);
      expect(replaced.body.user.upcoming).toMatchObject({ id: 'idle', name: 'Idle' });
      expect((await end('a-1')).body.user).toMatchObject({
        status: { id: 'active' },
        upcoming: { id: 'idle' },
      });
      const last = await end('a-2');
      expect(last.body.user).toMatchObject({
        status: { id: 'idle', cause: 'deferred' },
        upcoming: null,
        activities: [],
      });
      const history = (await d.request('agent', 'GET', '/v1/users/u1/history')).body.items;
      expect(history[0]).toMatchObject({ statusId: 'idle', to: null, cause: 'deferred' });
      expect(history.map((s: { statusId: string }) => s.statusId)).not.toContain('on-break');
    });

    it('clears the upcoming status when the current one is selected', async () => {
      await begin('a-1');
      expect((await select('on-break')).status).toBe(202);
      const same = await select('active');
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ applied: true, user: { status: { id: 'active' }, upcoming: null } });
      const ended = await end('a-1');
      expect(ended.body.user).toMatchObject({ status: { id: 'active' }, upcoming: null });
    });

    it('cancels the upcoming status: DELETE .../status/upcoming → 200 {user}', async () => {
      await begin('a-1');
      await select('on-break');
      const cancelled = await d.request('agent', 'DELETE', '/v1/users/u1/status/upcoming');
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toEqual({
        user: expect.objectContaining({ upcoming: null, status: expect.objectContaining({ id: 'active' }) }),
      });
      const version = cancelled.body.user.version;
      // Nothing to cancel: still 200, no change.
      const again = await d.request('agent', 'DELETE', '/v1/users/u1/status/upcoming');
      expect(again.status).toBe(200);
      expect(again.body.user.version).toBe(version);
      expect((await end('a-1')).body.user.status.id).toBe('active');
    });

    it('refuses an invalid activity with 400 and changes nothing', async () => {
      for (const body of [
        { id: 'x' },
        { id: 'x', kind: 'meeting' },
        { id: 'has space', kind: 'call' },
        { id: '', kind: 'call' },
      ]) {
        await refusedWithoutChange(
          () => d.request('integration', 'POST', '/v1/users/u1/activities', body),
          400,
          'VALIDATION_FAILED',
        );
      }
    });
  });

  describe('heartbeat', () => {
    it('answers 204 and marks the connection online', async () => {
      await put('u1', { displayName: 'Dana' });
      expect((await get()).connection).toEqual({ state: 'unknown', lastSeen: null });
      const beat = await d.request('agent', 'POST', '/v1/users/u1/heartbeat');
      expect(beat.status).toBe(204);
      expect(beat.body).toBeUndefined();
      expect((await get()).connection).toEqual({ state: 'online', lastSeen: expect.stringMatching(ISO) });
      // Integrations send heartbeats for agents' clients too.
      expect((await d.request('integration', 'POST', '/v1/users/u1/heartbeat')).status).toBe(204);
    });
  });

  describe('transport', () => {
    beforeEach(async () => {
      await put('u1', { displayName: 'Dana' });
    });

    const raw = (
      payload: string | Buffer,
      headers: Record<string, string>,
      url = '/v1/users/u1',
      method = 'PUT' as const,
    ) =>
      d.app.inject({ method, url, headers: { authorization: `Bearer ${KEYS.admin}`, ...headers }, payload });

    it('413 PAYLOAD_TOO_LARGE for a body over 64 KiB, and changes nothing', async () => {
      const body = JSON.stringify({
        displayName: 'x',
        queues: Array.from({ length: 9000 }, (_, i) => `q${i}`),
      });
      expect(body.length).toBeGreaterThan(64 * 1024);
      const before = await get();
      const response = await raw(body, { 'content-type': 'application/json' });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await get()).toEqual(before);
    });

    it('413 also over a real socket with a chunked body (no Content-Length)', async () => {
      const chunk = new TextEncoder().encode(`{"displayName":"${'x'.repeat(70 * 1024)}"}`);
      const response = await fetch(`${d.url}/v1/users/u1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(chunk);
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it.each([
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ])('415 UNSUPPORTED_MEDIA_TYPE for %s, and changes nothing', async (type) => {
      const before = await get();
      const response = await raw('{"displayName":"Text"}', { 'content-type': type });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      // The message says what to do: curl -d sends a form type unless told otherwise.
      expect(response.json().error.message).toContain('send the header "Content-Type: application/json"');
      expect(response.json().error.message).toContain(`"${type}"`);
      expect(await get()).toEqual(before);
    });

    it('415 for a body without a Content-Type', async () => {
      const response = await d.app.inject({
        method: 'PUT',
        url: '/v1/users/u1',
        headers: { authorization: `Bearer ${KEYS.admin}`, 'content-length': '22' },
        payload: '{"displayName":"None"}',
      });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(response.json().error.message).toContain('"Content-Type: application/json"');
      expect((await get()).displayName).toBe('Dana');
    });

    it('accepts application/json with a charset', async () => {
      const response = await raw('{"displayName":"Charset"}', {
        'content-type': 'application/json; charset=utf-8',
      });
      expect(response.statusCode).toBe(200);
    });

    it.each([
      ['truncated', '{"displayName": "x"'],
      ['single quotes', "{'displayName': 'x'}"],
      ['trailing comma', '{"displayName": "x",}'],
      ['prototype poisoning', '{"displayName": "x", "__proto__": {"admin": true}}'],
      ['constructor poisoning', '{"displayName": "x", "constructor": {"prototype": {"admin": true}}}'],
    ])(
      '400 INVALID_JSON for a body that is not valid JSON (%s), and changes nothing',
      async (_why, payload) => {
        const before = await get();
        const response = await raw(payload, { 'content-type': 'application/json' });
        expect(response.statusCode).toBe(400);
        expect(response.json().error).toMatchObject({ code: 'INVALID_JSON', message: expect.any(String) });
        expect(await get()).toEqual(before);
      },
    );

    it('answers URLs the router cannot take (bad %-encoding, over-long parameter) in the API error format', async () => {
      for (const [method, url] of [
        ['GET', '/v1/users/%ZZ'],
        ['GET', `/v1/users/${'a'.repeat(300)}`],
        ['DELETE', `/v1/users/u1/activities/${'b'.repeat(300)}`],
      ] as const) {
        const response = await d.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${KEYS.admin}` },
        });
        expect(response.statusCode, url.slice(0, 30)).toBe(400);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expect(response.json()).toEqual({
          error: {
            code: 'VALIDATION_FAILED',
            message: expect.any(String),
            details: { issues: [{ path: expect.any(String), message: expect.any(String) }] },
          },
        });
      }
    });

    it('404 NOT_FOUND as JSON for an unknown route', async () => {
      for (const [method, url] of [
        ['GET', '/v1/nothing-here'],
        ['GET', '/nothing-here'],
        ['PATCH', '/v1/users/u1'],
        ['POST', '/v1/users/u1/status'],
      ] as const) {
        const response = await d.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${KEYS.admin}` },
        });
        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expect(response.json().error).toMatchObject({ code: 'NOT_FOUND', message: expect.any(String) });
      }
    });
  });
});
