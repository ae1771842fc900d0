/**
 * /v1/status-types against the real daemon and Redis (API.md "Status types"): the built-ins, create with every
 * parameter and its defaults, case-insensitive unique names, updates and their version, deletion rules, every
 * validation failure (which must change nothing), and a catalog shared by two daemons on one Redis.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Every field API.md lists for a StatusType, with its JSON type. */
const STATUS_TYPE_SHAPE = {
  id: expect.any(String),
  name: expect.any(String),
  color: expect.stringMatching(/^#[0-9A-Fa-f]{6}$/),
  builtIn: expect.any(Boolean),
  keepOnConnectionLoss: expect.any(Boolean),
  canEndShift: expect.any(Boolean),
  limitPerShift: expect.toSatisfy((v: unknown) => v === null || Number.isInteger(v)),
  allowedMinutes: expect.toSatisfy((v: unknown) => v === null || Number.isInteger(v)),
  callHandling: {
    ringMyMobile: expect.any(Boolean),
    queueLogin: expect.any(Boolean),
    externalCalls: expect.any(Boolean),
  },
  pbxPresence: {
    freepbx: {
      dnd: expect.any(Boolean),
      presence: expect.any(String),
      queues: expect.stringMatching(/^(pause|logout)$/),
      pauseReason: expect.any(String),
    },
    '3cx': { profile: expect.any(String) },
  },
  productive: expect.any(Boolean),
  version: expect.any(Number),
  createdAt: expect.stringMatching(ISO),
  updatedAt: expect.stringMatching(ISO),
};

describe('status types', () => {
  let d: TestDaemon;
  const extra: TestDaemon[] = [];

  beforeEach(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterEach(async () => {
    for (const other of extra.splice(0)) await other.stop();
    await d?.stop();
  });

  const list = async () => (await d.request('admin', 'GET', '/v1/status-types')).body;
  const create = (body: Record<string, unknown>) => d.request('admin', 'POST', '/v1/status-types', body);
  const addUser = async (id: string) =>
    expect((await d.request('admin', 'PUT', `/v1/users/${id}`, { displayName: id })).status).toBe(201);
  const select = (userId: string, statusId: string) =>
    d.request('admin', 'PUT', `/v1/users/${userId}/status`, { statusId });

  it('lists the four built-ins with every field of API.md', async () => {
    const response = await d.request('agent', 'GET', '/v1/status-types');
    expect(response.status).toBe(200);
    expect(response.body.map((t: { id: string }) => t.id)).toEqual(['active', 'idle', 'on-break', 'offline']);
    for (const type of response.body) {
      expect(type).toStrictEqual({ ...STATUS_TYPE_SHAPE, id: type.id, builtIn: true, version: 1 });
    }
    const names = Object.fromEntries(response.body.map((t: { id: string; name: string }) => [t.id, t.name]));
    expect(names).toEqual({ active: 'Active', idle: 'Idle', 'on-break': 'On Break', offline: 'Offline' });
    // Breaks are pauses with a reason code; Offline (the end of the shift) logs out.
    const queues = Object.fromEntries(
      response.body.map(
        (t: { id: string; pbxPresence: { freepbx: { queues: string; pauseReason: string } } }) => [
          t.id,
          `${t.pbxPresence.freepbx.queues}/${t.pbxPresence.freepbx.pauseReason}`,
        ],
      ),
    );
    expect(queues).toEqual({
      active: 'pause/Active',
      idle: 'pause/Idle',
      'on-break': 'pause/On Break',
      offline: 'logout/Offline',
    });
  });

  it('stores queue handling per type; the default pause reason is the name made safe and cut to 79 bytes', async () => {
    const long = await create({ name: 'Meeting; room, | ' + '会'.repeat(23), color: '#0A0B0C' });
    expect(long.body.pbxPresence.freepbx).toMatchObject({
      queues: 'pause',
      pauseReason: 'Meeting room ' + '会'.repeat(22), // 79 bytes: the 23rd character would not fit
    });
    const own = await create({
      name: 'Shift End',
      color: '#0A0B0D',
      pbxPresence: {
        freepbx: { dnd: true, presence: 'unavailable', queues: 'logout', pauseReason: 'EOS' },
        '3cx': { profile: 'Out of office' },
      },
    });
    expect(own.body.pbxPresence.freepbx).toEqual({
      dnd: true,
      presence: 'unavailable',
      queues: 'logout',
      pauseReason: 'EOS',
    });
    const patched = await d.request('admin', 'PATCH', '/v1/status-types/on-break', {
      pbxPresence: { freepbx: { pauseReason: 'Break' } },
    });
    expect(patched.body.pbxPresence.freepbx).toMatchObject({
      queues: 'pause',
      pauseReason: 'Break',
      dnd: true,
    });
  });

  it('creates a type with every parameter: 201, Location, the stored type', async () => {
    const body = {
      id: 'lunch-break',
      name: 'Lunch',
      color: '#123ABC',
      keepOnConnectionLoss: true,
      canEndShift: true,
      limitPerShift: 2,
      allowedMinutes: 45,
      callHandling: { ringMyMobile: true, queueLogin: false, externalCalls: true },
      pbxPresence: {
        freepbx: { dnd: false, presence: 'xa', message: 'at lunch', queues: 'pause', pauseReason: 'Lunch' },
        '3cx': { profile: 'Lunch' },
      },
      productive: false,
    };
    const created = await create(body);
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/v1/status-types/lunch-break');
    expect(created.body).toStrictEqual({
      ...body,
      builtIn: false,
      version: 1,
      createdAt: expect.stringMatching(ISO),
      updatedAt: created.body.createdAt,
      warnings: [],
    });
    const { warnings: _w, ...stored } = created.body;
    expect((await d.request('agent', 'GET', '/v1/status-types/lunch-break')).body).toStrictEqual(stored);
  });

  it('derives the id from the name and fills in the defaults', async () => {
    const created = await create({ name: '  Coaching Session 2 ', color: '#00AA11' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/v1/status-types/coaching-session-2');
    expect(created.body).toMatchObject({
      id: 'coaching-session-2',
      name: 'Coaching Session 2',
      builtIn: false,
      keepOnConnectionLoss: false,
      canEndShift: false,
      limitPerShift: null,
      allowedMinutes: null,
      callHandling: { ringMyMobile: false, queueLogin: false, externalCalls: false },
      pbxPresence: { freepbx: { dnd: true, presence: 'away' }, '3cx': { profile: 'Away' } },
      version: 1,
      warnings: [],
    });
    // A type that takes queue calls shows as available by default.
    const taking = await create({ name: 'Outbound', color: '#00AA12', callHandling: { queueLogin: true } });
    expect(taking.body).toMatchObject({
      callHandling: { ringMyMobile: false, queueLogin: true, externalCalls: false },
      pbxPresence: { freepbx: { dnd: false, presence: 'available' }, '3cx': { profile: 'Available' } },
    });
    expect(created.body).toStrictEqual({ ...STATUS_TYPE_SHAPE, ...created.body });
  });

  it('ignores read-only fields a client echoes back on create', async () => {
    const created = await create({
      name: 'Echo',
      color: '#445566',
      builtIn: true,
      version: 99,
      createdAt: '2000-01-01T00:00:00Z',
      updatedAt: '2000-01-01T00:00:00Z',
      warnings: ['x'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'echo', builtIn: false, version: 1, warnings: [] });
    expect(created.body.createdAt).not.toBe('2000-01-01T00:00:00Z');
    const deleted = await d.request('admin', 'DELETE', '/v1/status-types/echo');
    expect(deleted.status).toBe(204);
  });

  it('accepts a color used by another type, with a warning naming it', async () => {
    const created = await create({ name: 'Green Too', color: '#2ecc71' });
    expect(created.status).toBe(201);
    expect(created.body.warnings).toHaveLength(1);
    expect(created.body.warnings[0]).toContain('Active');
    const patched = await d.request('admin', 'PATCH', '/v1/status-types/green-too', { color: '#F5A623' });
    expect(patched.status).toBe(200);
    expect(patched.body.warnings).toEqual([expect.stringContaining('On Break')]);
  });

  it('refuses a taken name case-insensitively, on create and on rename (409 NAME_TAKEN)', async () => {
    const before = await list();
    for (const body of [
      { name: 'on break', color: '#101010' },
      { name: 'ACTIVE', color: '#101010' },
      { id: 'brb', name: 'On BREAK', color: '#101010' },
      { id: 'idle', name: 'Something Else', color: '#101010' },
    ]) {
      const refused = await create(body);
      expect(refused.status, JSON.stringify(body)).toBe(409);
      expect(refused.body.error.code).toBe('NAME_TAKEN');
    }
    expect(await list()).toEqual(before);

    expect((await create({ name: 'Training', color: '#202020' })).status).toBe(201);
    const trainingBefore = (await d.request('admin', 'GET', '/v1/status-types/training')).body;
    const rename = await d.request('admin', 'PATCH', '/v1/status-types/training', { name: 'iDLE' });
    expect(rename.status).toBe(409);
    expect(rename.body.error.code).toBe('NAME_TAKEN');
    expect((await d.request('admin', 'GET', '/v1/status-types/training')).body).toEqual(trainingBefore);
    // Its own name in another case is not "taken".
    const recased = await d.request('admin', 'PATCH', '/v1/status-types/training', { name: 'TRAINING' });
    expect(recased.status).toBe(200);
    expect(recased.body.name).toBe('TRAINING');
    // The old name is free again after a rename.
    expect((await d.request('admin', 'PATCH', '/v1/status-types/training', { name: 'Course' })).status).toBe(
      200,
    );
    expect((await create({ id: 'training-2', name: 'training', color: '#202021' })).status).toBe(201);
  });

  it('answers 404 STATUS_TYPE_NOT_FOUND for an unknown id on GET, PATCH and DELETE', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const response = await d.request(
        'admin',
        method,
        '/v1/status-types/no-such-type',
        method === 'PATCH' ? { name: 'X' } : undefined,
      );
      expect(response.status, method).toBe(404);
      expect(response.body.error).toMatchObject({
        code: 'STATUS_TYPE_NOT_FOUND',
        message: expect.any(String),
      });
    }
  });

  it('updates a type, bumping its version and updatedAt, and keeps its id and createdAt', async () => {
    const created = (await create({ name: 'Meeting', color: '#303030' })).body;
    const patched = await d.request('admin', 'PATCH', '/v1/status-types/meeting', {
      name: 'Team Meeting',
      limitPerShift: 4,
      allowedMinutes: 60,
      callHandling: { externalCalls: true },
      pbxPresence: { '3cx': { profile: 'Busy' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: 'meeting',
      name: 'Team Meeting',
      limitPerShift: 4,
      allowedMinutes: 60,
      callHandling: { ringMyMobile: false, queueLogin: false, externalCalls: true },
      // The default pause reason follows the name.
      pbxPresence: {
        freepbx: { ...created.pbxPresence.freepbx, pauseReason: 'Team Meeting' },
        '3cx': { profile: 'Busy' },
      },
      version: 2,
      createdAt: created.createdAt,
    });
    expect(Date.parse(patched.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    const again = await d.request('admin', 'PATCH', '/v1/status-types/meeting', { limitPerShift: null });
    expect(again.body).toMatchObject({ limitPerShift: null, version: 3 });
    // Sending the id unchanged is allowed (clients echo what they read).
    const echoed = await d.request('admin', 'PATCH', '/v1/status-types/meeting', {
      id: 'meeting',
      color: '#303031',
    });
    expect(echoed.status).toBe(200);
    expect(echoed.body).toMatchObject({ id: 'meeting', color: '#303031', version: 4 });
  });

  it('refuses to change the id (400) and changes nothing', async () => {
    await create({ name: 'Meeting', color: '#303030' });
    const before = await list();
    const refused = await d.request('admin', 'PATCH', '/v1/status-types/meeting', {
      id: 'gathering',
      name: 'X',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: 'id', message: expect.any(String) }] },
    });
    expect(await list()).toEqual(before);
    expect((await d.request('admin', 'GET', '/v1/status-types/gathering')).status).toBe(404);
  });

  it('lets admins edit every field of a built-in except id and builtIn', async () => {
    const patched = await d.request('admin', 'PATCH', '/v1/status-types/on-break', {
      name: 'Pause',
      color: '#ABCDEF',
      keepOnConnectionLoss: false,
      canEndShift: true,
      limitPerShift: 3,
      allowedMinutes: 20,
      callHandling: { ringMyMobile: true, queueLogin: true, externalCalls: true },
      pbxPresence: { freepbx: { dnd: false, presence: 'chat' }, '3cx': { profile: 'Custom 1' } },
      builtIn: false, // read-only: ignored
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: 'on-break',
      name: 'Pause',
      color: '#ABCDEF',
      builtIn: true,
      keepOnConnectionLoss: false,
      canEndShift: true,
      limitPerShift: 3,
      allowedMinutes: 20,
      callHandling: { ringMyMobile: true, queueLogin: true, externalCalls: true },
      pbxPresence: { freepbx: { dnd: false, presence: 'chat' }, '3cx': { profile: 'Custom 1' } },
      version: 2,
    });
    const deleted = await d.request('admin', 'DELETE', '/v1/status-types/on-break');
    expect(deleted.status).toBe(409);
    expect(deleted.body.error.code).toBe('BUILT_IN');
  });

  it('deletes an unused type (204) and refuses built-ins (409 BUILT_IN)', async () => {
    await create({ name: 'Meeting', color: '#303030' });
    const deleted = await d.request('admin', 'DELETE', '/v1/status-types/meeting');
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await d.request('admin', 'GET', '/v1/status-types/meeting')).status).toBe(404);
    // Its name is free again.
    expect((await create({ name: 'MEETING', color: '#303030' })).status).toBe(201);

    for (const id of ['active', 'idle', 'on-break', 'offline']) {
      const refused = await d.request('admin', 'DELETE', `/v1/status-types/${id}`);
      expect(refused.status, id).toBe(409);
      expect(refused.body.error.code).toBe('BUILT_IN');
    }
    expect((await list()).filter((t: { builtIn: boolean }) => t.builtIn)).toHaveLength(4);
  });

  it('refuses to delete a type while a user is in it (409 STATUS_TYPE_IN_USE)', async () => {
    await create({ name: 'Meeting', color: '#303030' });
    await addUser('u1');
    expect((await select('u1', 'meeting')).status).toBe(200);
    const refused = await d.request('admin', 'DELETE', '/v1/status-types/meeting');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'STATUS_TYPE_IN_USE',
      message: '1 user is in "Meeting" or has it upcoming',
      details: { users: 1 },
    });
    expect((await d.request('admin', 'GET', '/v1/status-types/meeting')).status).toBe(200);

    expect((await select('u1', 'active')).status).toBe(200);
    expect((await d.request('admin', 'DELETE', '/v1/status-types/meeting')).status).toBe(204);
  });

  it('refuses to delete a type while a user has it upcoming (409 STATUS_TYPE_IN_USE)', async () => {
    await create({ name: 'Meeting', color: '#303030' });
    await addUser('u1');
    await d.request('integration', 'POST', '/v1/users/u1/activities', { id: 'call-1', kind: 'call' });
    const deferred = await select('u1', 'meeting');
    expect(deferred.status).toBe(202);
    const refused = await d.request('admin', 'DELETE', '/v1/status-types/meeting');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('STATUS_TYPE_IN_USE');

    // Replaced by another upcoming status: no longer in use.
    expect((await select('u1', 'idle')).status).toBe(202);
    expect((await d.request('admin', 'DELETE', '/v1/status-types/meeting')).status).toBe(204);
  });

  it('frees a type when the user in it is deleted', async () => {
    await create({ name: 'Meeting', color: '#303030' });
    await addUser('u1');
    await select('u1', 'meeting');
    expect((await d.request('admin', 'DELETE', '/v1/status-types/meeting')).status).toBe(409);
    expect((await d.request('admin', 'DELETE', '/v1/users/u1')).status).toBe(204);
    expect((await d.request('admin', 'DELETE', '/v1/status-types/meeting')).status).toBe(204);
  });

  describe('every invalid request is 400 VALIDATION_FAILED with details.issues and changes nothing', () => {
    const POSTS: Array<[string, unknown, string]> = [
      ['missing name', { color: '#101010' }, 'name'],
      ['empty name', { name: '', color: '#101010' }, 'name'],
      ['blank name', { name: '   ', color: '#101010' }, 'name'],
      ['name over 40 characters', { name: 'x'.repeat(41), color: '#101010' }, 'name'],
      ['name with a control character', { name: 'Bad\u0007Name', color: '#101010' }, 'name'],
      ['name without a letter or digit', { name: '!!!', color: '#101010' }, 'name'],
      ['missing color', { name: 'Valid' }, 'color'],
      ['color not #RRGGBB', { name: 'Valid', color: 'red' }, 'color'],
      ['short color', { name: 'Valid', color: '#12345' }, 'color'],
      ['bad id', { id: 'Not A Slug', name: 'Valid', color: '#101010' }, 'id'],
      ['limit 0', { name: 'Valid', color: '#101010', limitPerShift: 0 }, 'limitPerShift'],
      ['fractional limit', { name: 'Valid', color: '#101010', limitPerShift: 1.5 }, 'limitPerShift'],
      ['limit as a string', { name: 'Valid', color: '#101010', limitPerShift: '3' }, 'limitPerShift'],
      ['negative minutes', { name: 'Valid', color: '#101010', allowedMinutes: -5 }, 'allowedMinutes'],
      ['boolean as a string', { name: 'Valid', color: '#101010', canEndShift: 'yes' }, 'canEndShift'],
      [
        'call handling flag not a boolean',
        { name: 'Valid', color: '#101010', callHandling: { ringMyMobile: 1 } },
        'callHandling.ringMyMobile',
      ],
      [
        'unknown presence',
        {
          name: 'Valid',
          color: '#101010',
          pbxPresence: { freepbx: { dnd: true, presence: 'asleep' }, '3cx': { profile: 'Away' } },
        },
        'pbxPresence.freepbx.presence',
      ],
      [
        'presence message with a line break',
        {
          name: 'Valid',
          color: '#101010',
          pbxPresence: {
            freepbx: { dnd: true, presence: 'away', message: 'a\r\nb' },
            '3cx': { profile: 'Away' },
          },
        },
        'pbxPresence.freepbx.message',
      ],
      [
        'pause reason with a comma (breaks app_queue persistence)',
        {
          name: 'Valid',
          color: '#101010',
          pbxPresence: {
            freepbx: { dnd: true, presence: 'away', pauseReason: 'a,b' },
            '3cx': { profile: 'Away' },
          },
        },
        'pbxPresence.freepbx.pauseReason',
      ],
      [
        'pause reason over 79 bytes',
        {
          name: 'Valid',
          color: '#101010',
          pbxPresence: {
            freepbx: { dnd: true, presence: 'away', pauseReason: 'é'.repeat(40) },
            '3cx': { profile: 'Away' },
          },
        },
        'pbxPresence.freepbx.pauseReason',
      ],
      [
        'unknown queue handling',
        {
          name: 'Valid',
          color: '#101010',
          pbxPresence: {
            freepbx: { dnd: true, presence: 'away', queues: 'kick' },
            '3cx': { profile: 'Away' },
          },
        },
        'pbxPresence.freepbx.queues',
      ],
      ['unknown field', { name: 'Valid', color: '#101010', emoji: ':)' }, 'emoji'],
      ['body not an object', ['Valid'], ''],
    ];

    it.each(POSTS)('POST: %s', async (_why, body, path) => {
      const before = await list();
      const refused = await create(body as Record<string, unknown>);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.any(String) });
      const issues = refused.body.error.details.issues as Array<{ path: string; message: string }>;
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues)
        expect(issue).toStrictEqual({ path: expect.any(String), message: expect.any(String) });
      if (path) expect(issues.map((i) => i.path)).toContain(path);
      expect(await list()).toEqual(before);
    });

    const PATCHES: Array<[string, unknown, string]> = [
      ['empty name', { name: '' }, 'name'],
      ['name over 40 characters', { name: 'y'.repeat(41) }, 'name'],
      ['color', { color: '#GGGGGG' }, 'color'],
      ['limit 0', { limitPerShift: 0 }, 'limitPerShift'],
      ['minutes over a day', { allowedMinutes: 1441 }, 'allowedMinutes'],
      ['call handling flag', { callHandling: { queueLogin: 'no' } }, 'callHandling.queueLogin'],
      ['unknown call handling flag', { callHandling: { fax: true } }, 'callHandling.fax'],
      ['presence', { pbxPresence: { freepbx: { presence: 'asleep' } } }, 'pbxPresence.freepbx.presence'],
      ['empty 3CX profile', { pbxPresence: { '3cx': { profile: '' } } }, 'pbxPresence.3cx.profile'],
      ['another id', { id: 'other-id' }, 'id'],
      ['unknown field', { shape: 'round' }, 'shape'],
      ['no body', undefined, ''],
    ];

    it.each(PATCHES)('PATCH: %s', async (_why, body, path) => {
      const before = await list();
      const refused = await d.request('admin', 'PATCH', '/v1/status-types/on-break', body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
      const issues = refused.body.error.details.issues as Array<{ path: string; message: string }>;
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues)
        expect(issue).toStrictEqual({ path: expect.any(String), message: expect.any(String) });
      if (path) expect(issues.map((i) => i.path)).toContain(path);
      expect(await list()).toEqual(before);
    });

    it('GET/PATCH/DELETE with a malformed id', async () => {
      const before = await list();
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        const refused = await d.request(
          'admin',
          method,
          '/v1/status-types/Not%20A%20Slug',
          method === 'PATCH' ? { name: 'Z' } : undefined,
        );
        expect(refused.status, method).toBe(400);
        expect(refused.body.error.details.issues).toEqual([
          { path: 'params.id', message: expect.any(String) },
        ]);
      }
      expect(await list()).toEqual(before);
    });
  });

  describe('two daemons on one Redis and prefix', () => {
    let b: TestDaemon;
    beforeEach(async () => {
      b = await startTestDaemon({ redisUrl: inject('redisUrl'), prefix: d.config.redis.keyPrefix });
      extra.push(b);
      await addUser('u1');
    });

    it('sees a type created, edited and deleted through the other one, without a restart', async () => {
      expect((await create({ name: 'Meeting', color: '#303030', limitPerShift: 1 })).status).toBe(201);
      expect((await b.request('agent', 'GET', '/v1/status-types/meeting')).body).toMatchObject({
        name: 'Meeting',
        limitPerShift: 1,
      });
      // B's command path uses its cached catalog: it learns of the new type without a restart.
      const selected = await b.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'meeting' });
      expect(selected.status, JSON.stringify(selected.body)).toBe(200);
      expect(selected.body.user.status).toMatchObject({ id: 'meeting', name: 'Meeting', color: '#303030' });
      expect((await b.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' })).status).toBe(
        200,
      );
      const limited = await b.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'meeting' });
      expect(limited.status).toBe(409);
      expect(limited.body.error).toMatchObject({
        code: 'STATUS_LIMIT_REACHED',
        details: { limit: 1, used: 1 },
      });

      // An edit through A is used by B's command path.
      const patched = await d.request('admin', 'PATCH', '/v1/status-types/meeting', {
        name: 'Big Meeting',
        limitPerShift: null,
      });
      expect(patched.status).toBe(200);
      expect((await b.request('agent', 'GET', '/v1/status-types/meeting')).body.name).toBe('Big Meeting');
      const reentered = await waitFor(
        async () => {
          const r = await b.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'meeting' });
          return r.status === 200 ? r : null;
        },
        { what: 'B applies the raised limit' },
      );
      expect(reentered.body.user.status.name).toBe('Big Meeting');

      // A deletion through A: B refuses the type afterwards.
      expect((await b.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'active' })).status).toBe(
        200,
      );
      expect((await d.request('admin', 'DELETE', '/v1/status-types/meeting')).status).toBe(204);
      expect((await b.request('agent', 'GET', '/v1/status-types/meeting')).status).toBe(404);
      await waitFor(
        async () =>
          (await b.request('agent', 'PUT', '/v1/users/u1/status', { statusId: 'meeting' })).body.error
            ?.code === 'STATUS_TYPE_NOT_FOUND',
        { what: 'B refuses the deleted type' },
      );
      expect((await b.request('agent', 'GET', '/v1/users/u1')).body.status.id).toBe('active');
    });

    it('refuses a rename through one daemon to a name created through the other', async () => {
      expect(
        (await b.request('admin', 'POST', '/v1/status-types', { name: 'Lunch', color: '#404040' })).status,
      ).toBe(201);
      const refused = await d.request('admin', 'PATCH', '/v1/status-types/idle', { name: 'LUNCH' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('NAME_TAKEN');
    });
  });
});
