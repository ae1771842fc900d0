/**
 * The status catalogue as code against the real daemon and Redis (README "Status types as code"): export in JSON and
 * YAML, a round trip that writes nothing, the dry-run diff, an import that creates, changes and deletes, refused
 * deletes (in use, named by the configuration), bad documents refused whole, admin only, and the configuration's
 * `statusTypes:` applied at start.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../src/bridge/config/load.js';
import { statusReferenceWarnings } from '../../src/bridge/config/status-references.js';
import { Daemon } from '../../src/bridge/daemon.js';
import { createLogger } from '../../src/bridge/logger.js';
import { KEYS, startTestDaemon, TestDaemon, testConfig } from '../harness/daemon.js';
import { ManualClock } from '../harness/clock.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitForUser } from '../engine/day-helpers.js';

type Doc = { statusTypes: Array<Record<string, unknown> & { id: string }> };

/** A custom type with every field set, the queue handling pinned. */
const COACHING = {
  id: 'coaching',
  name: 'Coaching',
  color: '#3366FF',
  keepOnConnectionLoss: true,
  canEndShift: false,
  limitPerShift: 2,
  allowedMinutes: 30,
  callHandling: { ringMyMobile: true, queueLogin: false, externalCalls: true },
  pbxPresence: {
    freepbx: { dnd: true, presence: 'dnd', message: 'In coaching', queues: 'logout', pauseReason: 'Coach' },
    '3cx': { profile: 'Do Not Disturb' },
  },
  productive: true,
};
/** A custom type with only what is required: every other field takes its default. */
const LUNCH = { id: 'lunch', name: 'Lunch', color: '#AA5500' };

describe('status types as code', () => {
  const started: TestDaemon[] = [];
  const start = async (config?: Record<string, unknown>, prefix?: string, clock?: () => Date) => {
    const d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      ...(clock ? { clock } : {}),
      ...(config ? { config } : {}),
      ...(prefix ? { prefix } : {}),
    });
    started.push(d);
    return d;
  };
  afterEach(async () => {
    for (const d of started.splice(0)) await d.stop();
  });

  const list = async (d: TestDaemon) => (await d.request('admin', 'GET', '/v1/status-types')).body;
  const exportJson = async (d: TestDaemon): Promise<Doc> => {
    const response = await d.request('admin', 'GET', '/v1/status-types/export');
    expect(response.status).toBe(200);
    return response.body;
  };
  const put = (d: TestDaemon, doc: unknown, query = '') =>
    d.request('admin', 'PUT', `/v1/status-types${query}`, doc);
  const putYaml = (d: TestDaemon, yaml: string, query = '') =>
    d.app.inject({
      method: 'PUT',
      url: `/v1/status-types${query}`,
      headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/yaml' },
      payload: yaml,
    });
  const create = async (d: TestDaemon, body: Record<string, unknown>) =>
    expect((await d.request('admin', 'POST', '/v1/status-types', body)).status).toBe(201);
  const select = async (d: TestDaemon, userId: string, statusId: string) => {
    expect((await d.request('admin', 'PUT', `/v1/users/${userId}`, { displayName: userId })).status).toBe(
      201,
    );
    expect((await d.request('admin', 'PUT', `/v1/users/${userId}/status`, { statusId })).status).toBe(200);
  };
  const withTypes = async (d: TestDaemon) => {
    await create(d, COACHING);
    await create(d, LUNCH);
  };
  const entry = (doc: Doc, id: string) => doc.statusTypes.find((t) => t.id === id) as Doc['statusTypes'][0];

  it('exports every field of every type as JSON: queue handling filled in, no version or timestamps', async () => {
    const d = await start();
    await withTypes(d);
    const response = await d.request('admin', 'GET', '/v1/status-types/export');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const doc: Doc = response.body;
    expect(doc.statusTypes.map((t) => t.id)).toEqual([
      'active',
      'idle',
      'on-break',
      'offline',
      'coaching',
      'lunch',
    ]);
    expect(entry(doc, 'coaching')).toStrictEqual({ ...COACHING, builtIn: false });
    expect(entry(doc, 'lunch')).toStrictEqual({
      ...LUNCH,
      builtIn: false,
      keepOnConnectionLoss: false,
      canEndShift: false,
      limitPerShift: null,
      allowedMinutes: null,
      callHandling: { ringMyMobile: false, queueLogin: false, externalCalls: false },
      pbxPresence: {
        freepbx: { dnd: true, presence: 'away', queues: 'pause', pauseReason: 'Lunch' },
        '3cx': { profile: 'Away' },
      },
      productive: false,
    });
    // The export is what GET /v1/status-types shows, less what the store owns.
    const strip = ({ version: _v, createdAt: _c, updatedAt: _u, ...rest }: Record<string, unknown>) => rest;
    expect(doc.statusTypes).toEqual((await list(d)).map(strip));
  });

  it('exports YAML when Accept asks for it or format=yaml; format wins over Accept; a bad format is 400', async () => {
    const d = await start();
    await withTypes(d);
    const json = await exportJson(d);
    const byAccept = await d.app.inject({
      method: 'GET',
      url: '/v1/status-types/export',
      headers: { authorization: `Bearer ${KEYS.admin}`, accept: 'application/yaml' },
    });
    expect(byAccept.statusCode).toBe(200);
    expect(byAccept.headers['content-type']).toMatch(/^application\/yaml/);
    expect(parseYaml(byAccept.body)).toEqual(json);
    expect(byAccept.body).toMatch(/^# presence-bridge status types/);
    const byQuery = await d.request('admin', 'GET', '/v1/status-types/export?format=yaml');
    expect(byQuery.headers['content-type']).toMatch(/^application\/yaml/);
    expect(parseYaml(byQuery.body)).toEqual(json);
    const jsonWins = await d.request('admin', 'GET', '/v1/status-types/export?format=json', undefined, {
      accept: 'application/yaml',
    });
    expect(jsonWins.body).toEqual(json);
    const bad = await d.request('admin', 'GET', '/v1/status-types/export?format=xml');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('a round trip (JSON and YAML) changes nothing and bumps no version', async () => {
    // The deprecated global queue mode changes what the export shows; it must still compare equal.
    const d = await start({ sync: { queueMode: 'logout' } });
    await withTypes(d);
    // A built-in edited before: its edits survive the trip too.
    await d.request('admin', 'PATCH', '/v1/status-types/on-break', { color: '#123456', allowedMinutes: 10 });
    const before = await list(d);
    const doc = await exportJson(d);
    for (const query of ['?dryRun=true', '']) {
      const response = await put(d, doc, query);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        dryRun: query !== '',
        applied: false,
        created: [],
        changed: [],
        deleted: [],
        refused: [],
        unchanged: ['active', 'idle', 'on-break', 'offline', 'coaching', 'lunch'],
        warnings: [],
      });
    }
    const yaml = (await d.request('admin', 'GET', '/v1/status-types/export?format=yaml')).body as string;
    const viaYaml = await putYaml(d, yaml);
    expect(viaYaml.statusCode).toBe(200);
    expect(viaYaml.json()).toMatchObject({ applied: false, changed: [], created: [], deleted: [] });
    // The list itself (GET output, with versions and timestamps) may be PUT back as well.
    expect((await put(d, { statusTypes: before })).body).toMatchObject({ applied: false, changed: [] });
    expect(await list(d)).toEqual(before);
  });

  it('dryRun answers the diff (created, changed with each field, deleted) and changes nothing', async () => {
    const d = await start();
    await withTypes(d);
    const before = await list(d);
    const doc = await exportJson(d);
    entry(doc, 'on-break').color = '#000001';
    entry(doc, 'on-break').allowedMinutes = 20;
    (entry(doc, 'coaching').pbxPresence as typeof COACHING.pbxPresence).freepbx.dnd = false;
    doc.statusTypes = doc.statusTypes.filter((t) => t.id !== 'lunch');
    doc.statusTypes.push({ id: 'training', name: 'Training', color: '#00AA00' });
    const response = await put(d, doc, '?dryRun=true');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      dryRun: true,
      applied: false,
      created: [{ id: 'training', name: 'Training' }],
      changed: [
        {
          id: 'on-break',
          name: 'On Break',
          fields: [
            { path: 'color', from: '#F5A623', to: '#000001' },
            { path: 'allowedMinutes', from: 15, to: 20 },
          ],
        },
        {
          id: 'coaching',
          name: 'Coaching',
          fields: [{ path: 'pbxPresence.freepbx.dnd', from: true, to: false }],
        },
      ],
      deleted: [{ id: 'lunch', name: 'Lunch' }],
      refused: [],
      unchanged: ['active', 'idle', 'offline'],
      warnings: [],
    });
    expect(await list(d)).toEqual(before);
  });

  it('applies: creates, changes (version + 1, through the update script), deletes; the rest keeps its version', async () => {
    const d = await start();
    await withTypes(d);
    const before = new Map<string, { version: number }>(
      (await list(d)).map((t: { id: string }) => [t.id, t]),
    );
    const doc = await exportJson(d);
    entry(doc, 'idle').name = 'Away From Desk';
    entry(doc, 'coaching').limitPerShift = null;
    doc.statusTypes = doc.statusTypes.filter((t) => t.id !== 'lunch');
    doc.statusTypes.push({ id: 'training', name: 'Training', color: '#00AA00', allowedMinutes: 45 });
    const response = await put(d, doc);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      dryRun: false,
      applied: true,
      created: [{ id: 'training' }],
      changed: [{ id: 'idle', name: 'Away From Desk' }, { id: 'coaching' }],
      deleted: [{ id: 'lunch' }],
    });
    const after = new Map<string, Record<string, unknown>>(
      (await list(d)).map((t: { id: string }) => [t.id, t]),
    );
    expect([...after.keys()].sort()).toEqual([
      'active',
      'coaching',
      'idle',
      'offline',
      'on-break',
      'training',
    ]);
    expect(after.get('idle')).toMatchObject({ name: 'Away From Desk', builtIn: true, version: 2 });
    // What the document says is what the PBX gets: it still stated the old pause reason, so that one is kept ...
    expect(after.get('idle')).toMatchObject({ pbxPresence: { freepbx: { pauseReason: 'Idle' } } });
    expect(after.get('coaching')).toMatchObject({ limitPerShift: null, version: 2 });
    expect(after.get('training')).toMatchObject({ allowedMinutes: 45, version: 1, builtIn: false });
    expect(after.get('active')?.version).toBe(before.get('active')?.version);
    // Applying the same document again is a no-op.
    expect((await put(d, doc)).body).toMatchObject({ applied: false, changed: [], created: [], deleted: [] });
    // ... and one that leaves it out gets the default again: the name, followed from then on.
    delete (entry(doc, 'idle').pbxPresence as { freepbx: { pauseReason?: string } }).freepbx.pauseReason;
    const unpinned = await put(d, doc);
    expect(unpinned.body.changed).toEqual([
      {
        id: 'idle',
        name: 'Away From Desk',
        fields: [{ path: 'pbxPresence.freepbx.pauseReason', from: 'Idle', to: 'Away From Desk' }],
      },
    ]);
    const reexported = entry(await exportJson(d), 'idle');
    expect(reexported).toMatchObject({ pbxPresence: { freepbx: { pauseReason: 'Away From Desk' } } });
    entry(doc, 'idle').name = 'Desk';
    delete (entry(doc, 'idle').pbxPresence as { freepbx: { pauseReason?: string } }).freepbx.pauseReason;
    await put(d, doc);
    expect((await list(d)).find((t: { id: string }) => t.id === 'idle').pbxPresence.freepbx.pauseReason).toBe(
      'Desk',
    );
  });

  it('built-ins the document leaves out stay; a swap of two names is applied', async () => {
    const d = await start();
    await withTypes(d);
    const doc = await exportJson(d);
    entry(doc, 'coaching').name = 'Lunch';
    entry(doc, 'lunch').name = 'Coaching';
    doc.statusTypes = doc.statusTypes.filter((t) => !['active', 'offline'].includes(t.id));
    const response = await put(d, doc);
    expect(response.status).toBe(200);
    expect(response.body.unchanged).toEqual(expect.arrayContaining(['active', 'offline']));
    const names = Object.fromEntries(
      (await list(d)).map((t: { id: string; name: string }) => [t.id, t.name]),
    );
    expect(names).toMatchObject({
      active: 'Active',
      offline: 'Offline',
      coaching: 'Lunch',
      lunch: 'Coaching',
    });
  });

  it('an allowedMinutes change re-plans the overage of users in the type', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
    const d = await start(undefined, undefined, clock.now);
    await create(d, { ...LUNCH, allowedMinutes: 30 });
    await select(d, 'u1', 'lunch');
    clock.set('2026-03-02T09:10:00.000Z');
    const doc = await exportJson(d);
    entry(doc, 'lunch').allowedMinutes = 5;
    expect((await put(d, doc)).body.changed).toEqual([
      { id: 'lunch', name: 'Lunch', fields: [{ path: 'allowedMinutes', from: 30, to: 5 }] },
    ]);
    const u = await waitForUser(d, 'u1', (x) => x.overage !== null, 'u1 re-planned');
    expect(u.overage).toEqual({ since: '2026-03-02T09:05:00.000Z', allowedMinutes: 5 });
  });

  it('refuses the whole import when a delete is refused (a user is in the type); keepRefused applies the rest', async () => {
    const d = await start();
    await withTypes(d);
    await select(d, 'u1', 'lunch');
    const before = await list(d);
    const doc = await exportJson(d);
    doc.statusTypes = doc.statusTypes.filter((t) => t.id !== 'lunch');
    entry(doc, 'coaching').color = '#000002';
    const refused = await put(d, doc);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('STATUS_TYPE_IN_USE');
    expect(refused.body.error.details).toMatchObject({
      applied: false,
      changed: [{ id: 'coaching' }],
      refused: [{ id: 'lunch', code: 'STATUS_TYPE_IN_USE', details: { id: 'lunch', users: 1 } }],
    });
    expect(await list(d)).toEqual(before);
    // The dry run shows the same refusal, as 200.
    const dry = await put(d, doc, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body.refused).toEqual([
      expect.objectContaining({ id: 'lunch', details: { id: 'lunch', users: 1 } }),
    ]);
    expect(dry.body.deleted).toEqual([]);
    const kept = await put(d, doc, '?keepRefused=true');
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({
      applied: true,
      changed: [{ id: 'coaching' }],
      refused: [{ id: 'lunch' }],
    });
    const ids = (await list(d)).map((t: { id: string }) => t.id);
    expect(ids).toContain('lunch');
  });

  it('refuses deleting a type the configuration names (details.fields)', async () => {
    const d = await start({
      statusTypes: [COACHING],
      status: { missedOffers: { threshold: 3, statusId: 'coaching' } },
    });
    const doc = await exportJson(d);
    doc.statusTypes = doc.statusTypes.filter((t) => t.id !== 'coaching');
    const response = await put(d, doc);
    expect(response.status).toBe(409);
    expect(response.body.error.details.refused).toEqual([
      expect.objectContaining({
        id: 'coaching',
        code: 'STATUS_TYPE_IN_USE',
        details: {
          id: 'coaching',
          field: 'status.missedOffers.statusId',
          fields: ['status.missedOffers.statusId'],
        },
      }),
    ]);
    expect((await list(d)).map((t: { id: string }) => t.id)).toContain('coaching');
  });

  it('bad documents: 400 with a stable code and the path of each problem; nothing changes', async () => {
    const d = await start();
    await withTypes(d);
    const before = await list(d);
    const doc = await exportJson(d);
    const cases: Array<[unknown, string, string]> = [
      [
        { statusTypes: [...doc.statusTypes, { ...LUNCH, name: 'Other' }] },
        'VALIDATION_FAILED',
        'statusTypes[6].id',
      ],
      [
        { statusTypes: [...doc.statusTypes, { ...LUNCH, id: 'lunch-2', name: 'LUNCH' }] },
        'VALIDATION_FAILED',
        'statusTypes[6].name',
      ],
      [
        { statusTypes: [{ id: 'x', name: 'idle', color: '#000000' }] },
        'VALIDATION_FAILED',
        'statusTypes[0].name',
      ],
      [
        { statusTypes: [{ id: 'export', name: 'Export', color: '#000000' }] },
        'VALIDATION_FAILED',
        'statusTypes[0].id',
      ],
      [{ statusTypes: [{ name: 'No Id', color: '#000000' }] }, 'VALIDATION_FAILED', 'statusTypes.0.id'],
      [{ statusTypes: [{ ...LUNCH, color: 'red' }] }, 'VALIDATION_FAILED', 'statusTypes.0.color'],
      [{ statusTypes: [{ ...LUNCH, colour: '#000000' }] }, 'VALIDATION_FAILED', 'statusTypes.0.colour'],
      [{ types: [] }, 'VALIDATION_FAILED', 'types'],
    ];
    for (const [body, code, path] of cases) {
      const response = await put(d, body);
      expect(response.status, path).toBe(400);
      expect(response.body.error.code, path).toBe(code);
      expect(
        response.body.error.details.issues.map((i: { path: string }) => i.path),
        path,
      ).toContain(path);
    }
    const yaml = await putYaml(d, 'statusTypes:\n  - id: lunch\n    name: [unclosed\n');
    expect(yaml.statusCode).toBe(400);
    expect(yaml.json().error.code).toBe('INVALID_YAML');
    const text = await d.app.inject({
      method: 'PUT',
      url: '/v1/status-types',
      headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'text/plain' },
      payload: 'statusTypes: []',
    });
    expect(text.statusCode).toBe(415);
    expect(await list(d)).toEqual(before);
    // The id a route of its own would hide cannot be created one by one either.
    const post = await d.request('admin', 'POST', '/v1/status-types', { name: 'Export', color: '#000000' });
    expect(post.status).toBe(400);
    expect(post.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('admin only: other roles get 403, no key 401', async () => {
    const d = await start();
    const doc = await exportJson(d);
    for (const role of ['supervisor', 'integration', 'agent'] as const) {
      expect((await d.request(role, 'GET', '/v1/status-types/export')).status).toBe(403);
      expect((await d.request(role, 'PUT', '/v1/status-types', doc)).status).toBe(403);
    }
    expect((await d.request(null, 'GET', '/v1/status-types/export')).status).toBe(401);
    expect((await d.request(null, 'PUT', '/v1/status-types', doc)).status).toBe(401);
  });

  it('the configuration’s statusTypes is applied at start, idempotently; a type in use it leaves out stays', async () => {
    const prefix = uniquePrefix('catalog');
    const onBreak = { id: 'on-break', name: 'Pause', color: '#101010', allowedMinutes: 20 };
    const first = await start({ statusTypes: [onBreak, COACHING, LUNCH] }, prefix);
    const types = await list(first);
    expect(types.map((t: { id: string }) => t.id)).toEqual([
      'active',
      'idle',
      'on-break',
      'offline',
      'coaching',
      'lunch',
    ]);
    expect(types.find((t: { id: string }) => t.id === 'on-break')).toMatchObject({
      name: 'Pause',
      version: 2,
    });
    await select(first, 'u1', 'lunch');
    await first.stop();
    started.splice(0);

    // Same configuration: nothing written.
    const second = await start({ statusTypes: [onBreak, COACHING, LUNCH] }, prefix);
    expect(await list(second)).toEqual(types);
    await second.stop();
    started.splice(0);

    // Lunch left out while u1 is in it: logged, kept; coaching left out: deleted; the daemon starts.
    const lines: string[] = [];
    const config = testConfig({ redisUrl: inject('redisUrl'), prefix, config: { statusTypes: [onBreak] } });
    const daemon = new Daemon({ config, log: createLogger('info', { write: (l: string) => lines.push(l) }) });
    started.push(new TestDaemon(daemon, config));
    await daemon.start();
    expect((await list(started[0]!)).map((t: { id: string }) => t.id)).toEqual([
      'active',
      'idle',
      'on-break',
      'offline',
      'lunch',
    ]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'configuration statusTypes leaves out a type that cannot be deleted: it stays',
        id: 'lunch',
        code: 'STATUS_TYPE_IN_USE',
        users: 1,
      }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'configuration statusTypes applied', deleted: ['coaching'] }),
    );
  });

  it('a section the catalogue cannot take (a name a built-in it leaves out has) stops the start, naming the field', async () => {
    const config = testConfig({
      redisUrl: inject('redisUrl'),
      config: { statusTypes: [{ id: 'away', name: 'idle', color: '#000000' }] },
    });
    const daemon = new Daemon({ config, log: createLogger('silent') });
    try {
      await expect(daemon.start()).rejects.toThrow(
        /configuration statusTypes cannot be applied: statusTypes\[0\]\.name: "idle" is also the name of "idle"/,
      );
    } finally {
      await daemon.stop();
    }
  });

  it('an invalid statusTypes section is a configuration error naming each field', () => {
    const config = (c: Record<string, unknown>) => () =>
      testConfig({ redisUrl: inject('redisUrl'), config: c });
    expect(config({ statusTypes: [LUNCH, { ...LUNCH, name: 'Other' }] })).toThrow(ConfigError);
    expect(config({ statusTypes: [LUNCH, { ...LUNCH, name: 'Other' }] })).toThrow(/statusTypes\[1\]\.id/);
    expect(config({ statusTypes: [{ ...LUNCH, color: 'red' }] })).toThrow(/statusTypes\[0\]\.color/);
    expect(config({ statusTypes: [LUNCH], status: { defaultOnShiftStart: 'coaching' } })).toThrow(
      /status\.defaultOnShiftStart/,
    );
    expect(config({ statusTypes: [COACHING], status: { defaultOnShiftStart: 'coaching' } })).not.toThrow();
    // check-config warns of a reference that only the catalog in Redis can confirm; one statusTypes defines is sure.
    const defining = config({ statusTypes: [COACHING], status: { defaultOnShiftStart: 'coaching' } })();
    expect(statusReferenceWarnings(defining)).toEqual([]);
    const notDefining = config({ status: { defaultOnShiftStart: 'coaching' } })();
    expect(statusReferenceWarnings(notDefining).map((w) => w.path)).toEqual(['status.defaultOnShiftStart']);
  });
});
