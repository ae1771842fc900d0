/**
 * GET /v1/reports/time-in-status against the real daemon. History is built through the API with the daemon's
 * injected clock, so spans cross midnight at known times without waiting.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { Keys } from '../../src/bridge/redis/keys.js';
import { TimeInStatusReports } from '../../src/bridge/reports/time-in-status-report.js';
import { UserStore } from '../../src/bridge/users/user-store.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';

let now = new Date('2024-03-01T23:00:00.000Z');
const at = (iso: string) => (now = new Date(iso));
let d: TestDaemon;

const DAY1 = 'from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z';
const DAY2 = 'from=2024-03-02T00:00:00Z&to=2024-03-03T00:00:00Z';

async function ok(res: { status: number; body: unknown }, status = 200): Promise<void> {
  if (res.status !== status)
    throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
}

beforeAll(async () => {
  d = await startTestDaemon({ redisUrl: inject('redisUrl'), clock: () => now });
  // r1: created 23:00 (Offline), Idle 23:30, Active 00:15, a call 00:20–00:30, a task open since 00:40.
  // The report runs at 00:45.
  at('2024-03-01T23:00:00.000Z');
  await ok(await d.request('admin', 'PUT', '/v1/users/r1', { displayName: 'Doe, "JD"' }), 201);
  at('2024-03-01T23:30:00.000Z');
  await ok(await d.request('supervisor', 'PUT', '/v1/users/r1/status', { statusId: 'idle' }));
  at('2024-03-02T00:15:00.000Z');
  await ok(await d.request('supervisor', 'PUT', '/v1/users/r1/status', { statusId: 'active' }));
  at('2024-03-02T00:20:00.000Z');
  await ok(
    await d.request('integration', 'POST', '/v1/users/r1/activities', { id: 'c1', kind: 'call' }),
    201,
  );
  at('2024-03-02T00:30:00.000Z');
  await ok(await d.request('integration', 'DELETE', '/v1/users/r1/activities/c1'));
  at('2024-03-02T00:40:00.000Z');
  await ok(
    await d.request('integration', 'POST', '/v1/users/r1/activities', { id: 'c2', kind: 'task' }),
    201,
  );
  await ok(await d.request('admin', 'PUT', '/v1/users/r2', { displayName: 'Second' }), 201);
  at('2024-03-02T00:45:00.000Z');
});
afterAll(async () => d?.stop());

describe('time-in-status over HTTP', () => {
  it('answers JSON with spans split at midnight and the open span counted to now', async () => {
    const day2 = await d.request('supervisor', 'GET', `/v1/reports/time-in-status?${DAY2}&userId=r1`);
    expect(day2.status).toBe(200);
    expect(day2.body).toEqual({
      from: '2024-03-02T00:00:00.000Z',
      to: '2024-03-03T00:00:00.000Z',
      generatedAt: '2024-03-02T00:45:00.000Z',
      users: [
        {
          userId: 'r1',
          displayName: 'Doe, "JD"',
          loggedInSeconds: 2700,
          // the call 00:20–00:30 and the task open since 00:40
          handleSeconds: 900,
          // Active takes queue calls (00:15–00:45), Idle does not
          availableSeconds: 1800,
          availableIdleSeconds: 900,
          breakSeconds: 0,
          occupancy: 0.5,
          utilization: 0.3333,
          overageCount: 0,
          overageSeconds: 0,
          missedOffers: 0,
          statuses: [
            {
              statusId: 'active',
              name: 'Active',
              seconds: 1800,
              entries: 1,
              overageSeconds: 0,
              overageCount: 0,
            },
            { statusId: 'idle', name: 'Idle', seconds: 900, entries: 0, overageSeconds: 0, overageCount: 0 },
          ],
        },
      ],
    });

    const day1 = await d.request('admin', 'GET', `/v1/reports/time-in-status?${DAY1}&userId=r1&format=json`);
    expect(day1.body.users[0]).toMatchObject({
      loggedInSeconds: 1800,
      handleSeconds: 0,
      occupancy: null, // nothing handled and no time available for queue calls
      utilization: 0,
      statuses: [
        { statusId: 'idle', seconds: 1800, entries: 1 },
        { statusId: 'offline', seconds: 1800, entries: 1 },
      ],
    });
  });

  it('reports every user when no userId is given', async () => {
    const res = await d.request('admin', 'GET', `/v1/reports/time-in-status?${DAY2}`);
    expect(res.body.users.map((u: { userId: string }) => u.userId)).toEqual(['r1', 'r2']);
    expect(res.body.users[1]).toMatchObject({
      loggedInSeconds: 0,
      occupancy: null,
      statuses: [{ statusId: 'offline', seconds: 300, entries: 1 }],
    });
  });

  it('pages through all users', async () => {
    const keys = new Keys(d.config.redis.keyPrefix, d.config.redis.partitions);
    const store = new UserStore(d.daemon.redis as Redis, keys, { streamMaxLen: 1000, historyMax: 1000 });
    const reports = new TimeInStatusReports(store, { get: async () => new Map() }, () => now, 1);
    const report = await reports.build({ from: '2024-03-02T00:00:00Z', to: '2024-03-03T00:00:00Z' });
    expect(report.users.map((u) => u.userId)).toEqual(['r1', 'r2']);
  });

  it('answers CSV as an attachment', async () => {
    const res = await d.request('supervisor', 'GET', `/v1/reports/time-in-status?${DAY2}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="time-in-status_20240302T000000Z_20240303T000000Z.csv"',
    );
    expect(res.body.split('\r\n')).toEqual([
      'userId,displayName,statusId,statusName,seconds,entries,overageSeconds,overageCount,loggedInSeconds,handleSeconds,availableSeconds,availableIdleSeconds,breakSeconds,occupancy,utilization,userOverageCount,userOverageSeconds,missedOffers',
      'r1,"Doe, ""JD""",active,Active,1800,1,0,0,2700,900,1800,900,0,0.5,0.3333,0,0,0',
      'r1,"Doe, ""JD""",idle,Idle,900,0,0,0,2700,900,1800,900,0,0.5,0.3333,0,0,0',
      'r2,Second,offline,Offline,300,1,0,0,0,0,0,0,0,,,0,0,0',
      '',
    ]);
  });

  it.each([
    ['from missing', 'to=2024-03-02T00:00:00Z', 'query.from'],
    ['to before from', 'from=2024-03-02T00:00:00Z&to=2024-03-01T00:00:00Z', 'query.to'],
    ['to equal to from', 'from=2024-03-02T00:00:00Z&to=2024-03-02T00:00:00Z', 'query.to'],
    ['more than 93 days', 'from=2024-01-01T00:00:00Z&to=2024-04-03T00:00:01Z', 'query.to'],
    ['not a time', 'from=yesterday&to=2024-03-02T00:00:00Z', 'query.from'],
    ['unknown format', `${DAY2}&format=xml`, 'query.format'],
  ])('answers 400 VALIDATION_FAILED for %s', async (_what, query, path) => {
    const res = await d.request('admin', 'GET', `/v1/reports/time-in-status?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('accepts exactly 93 days', async () => {
    const res = await d.request(
      'admin',
      'GET',
      '/v1/reports/time-in-status?from=2024-01-01T00:00:00Z&to=2024-04-03T00:00:00Z',
    );
    expect(res.status).toBe(200);
  });

  it('is for admins and supervisors only; an unknown user is 404', async () => {
    expect((await d.request('agent', 'GET', `/v1/reports/time-in-status?${DAY2}&userId=u1`)).status).toBe(
      403,
    );
    expect((await d.request('integration', 'GET', `/v1/reports/time-in-status?${DAY2}`)).status).toBe(403);
    expect((await d.request(null, 'GET', `/v1/reports/time-in-status?${DAY2}`)).status).toBe(401);
    const missing = await d.request('admin', 'GET', `/v1/reports/time-in-status?${DAY2}&userId=nobody`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('USER_NOT_FOUND');
  });

  it('documents both routes in the OpenAPI document', async () => {
    const doc = (await d.request(null, 'GET', '/docs/json')).body;
    const report = doc.paths['/v1/reports/time-in-status'].get;
    expect(Object.keys(report.responses['200'].content)).toEqual(['application/json', 'text/csv']);
    expect(report.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['from', 'to', 'userId', 'format']),
    );
    const events = doc.paths['/v1/events'].get;
    expect(Object.keys(events.responses['200'].content)).toEqual(['text/event-stream']);
    expect(events.summary).toMatch(/Server-Sent Events/);
    expect(events.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['users', 'lastEventId', 'last-event-id']),
    );
  });
});
