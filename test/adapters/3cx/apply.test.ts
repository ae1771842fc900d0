/**
 * apply() at request level (nock): identity lookup and cache, read-compare-write-read-back, full-array
 * ForwardingProfiles writes, PBX_FIELD_IGNORED, PBX_UNKNOWN_VALUE, and the external-calls switch.
 */
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PbxAdapter } from '../../../src/adapters/pbx.js';
import { createThreeCxAdapter } from '../../../src/adapters/3cx/index.js';
import { captureLogger, desired, PBX } from './support.js';

const target = { userId: 'u1', extension: '101', queues: ['800'] };
const USER = '/xapi/v1/Users(7)';
const READ_QUERY = {
  $select: 'Id,Number,CurrentProfileName,QueueStatus,Internal',
  $expand: 'ForwardingProfiles',
};

function profile(Id: number, Name: string, extra: Record<string, unknown> = {}) {
  return {
    Id,
    Name,
    CustomName: Name === 'Custom 1' ? 'Lunch' : null,
    RingMyMobile: false,
    NoAnswerTimeout: 20,
    ...extra,
  };
}

function user(patch: Record<string, unknown> = {}) {
  const profiles = ['Available', 'Away', 'Out of office', 'Custom 1', 'Custom 2'].map((n, i) =>
    profile(70 + i, n),
  );
  return {
    Id: 7,
    Number: '101',
    CurrentProfileName: 'Available',
    QueueStatus: 'LoggedIn',
    Internal: false,
    ForwardingProfiles: profiles,
    ...patch,
  };
}

let adapter: PbxAdapter;
let logs: ReturnType<typeof captureLogger>;

function build(externalCalls = false): PbxAdapter {
  return createThreeCxAdapter({
    id: 'hq',
    url: PBX,
    clientId: '901',
    clientSecret: 'top-secret-key',
    logger: logs.logger,
    externalCalls: { enabled: externalCalls },
  });
}

function mockLookup(id = 7, number = '101', literal = `'${number}'`) {
  return nock(PBX)
    .get('/xapi/v1/Users')
    .query({ $filter: `Number eq ${literal}`, $select: 'Id,Number', $top: '1' })
    .reply(200, { '@odata.context': 'x', value: [{ Id: id, Number: number }] });
}

function mockRead(body: unknown, path = USER, times = 1) {
  return nock(PBX)
    .get(path)
    .query(READ_QUERY)
    .times(times)
    .reply(200, body as nock.Body);
}

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  logs = captureLogger();
  nock(PBX)
    .post('/connect/token')
    .reply(200, { access_token: 'T1', expires_in: 3600, token_type: 'Bearer' })
    .persist();
  adapter = build();
});
afterEach(async () => {
  await adapter.stop();
  nock.cleanAll();
});

describe('3CX apply()', () => {
  it('finds the user with the exact OData filter and caches the id', async () => {
    let rawPath = '';
    nock(PBX)
      .get('/xapi/v1/Users')
      .query(true)
      .reply(function () {
        rawPath = this.req.path;
        return [200, { value: [{ Id: 7, Number: '101' }] }];
      });
    mockRead(user(), USER, 2);
    await adapter.apply(target, desired());
    await adapter.apply(target, desired()); // no second lookup: nock would answer "no match"
    expect(decodeURIComponent(rawPath)).toContain("$filter=Number eq '101'");
    expect(rawPath).not.toContain('+');
  });

  it('doubles single quotes in the filter literal', async () => {
    mockLookup(7, "10'1", "'10''1'");
    mockRead(user({ Number: "10'1" }));
    await expect(adapter.apply({ ...target, extension: "10'1" }, desired())).resolves.toEqual({
      changed: [],
    });
  });

  it('writes nothing when everything already matches', async () => {
    mockLookup();
    mockRead(user());
    await expect(adapter.apply(target, desired())).resolves.toEqual({ changed: [] });
    expect(nock.isDone()).toBe(true);
  });

  it('PATCHes only the differing scalar fields, then reads back', async () => {
    mockLookup();
    mockRead(user());
    let body: unknown;
    nock(PBX)
      .patch(USER, (b: unknown) => ((body = b), true))
      .reply(204);
    mockRead(user({ CurrentProfileName: 'Away', QueueStatus: 'LoggedOut' }));
    const result = await adapter.apply(target, desired({ profile: 'Away', loggedIn: false, mode: 'pause' }));
    expect(body).toEqual({ CurrentProfileName: 'Away', QueueStatus: 'LoggedOut' });
    expect(result.changed).toEqual(['presence', 'queues']);
  });

  it('matches a profile by CustomName and writes its internal Name', async () => {
    mockLookup();
    mockRead(user());
    let body: unknown;
    nock(PBX)
      .patch(USER, (b: unknown) => ((body = b), true))
      .reply(204);
    mockRead(user({ CurrentProfileName: 'Custom 1' }));
    await expect(adapter.apply(target, desired({ profile: 'Lunch' }))).resolves.toEqual({
      changed: ['presence'],
    });
    expect(body).toEqual({ CurrentProfileName: 'Custom 1' });
  });

  it('falls back to a case-insensitive profile match', async () => {
    mockLookup();
    mockRead(user());
    let body: unknown;
    nock(PBX)
      .patch(USER, (b: unknown) => ((body = b), true))
      .reply(204);
    mockRead(user({ CurrentProfileName: 'Out of office' }));
    await expect(adapter.apply(target, desired({ profile: 'out of OFFICE' }))).resolves.toEqual({
      changed: ['presence'],
    });
    expect(body).toEqual({ CurrentProfileName: 'Out of office' });
  });

  it('fails with PBX_UNKNOWN_VALUE before any write when the profile is unknown', async () => {
    mockLookup();
    mockRead(user());
    const err = await adapter
      .apply(target, desired({ profile: 'Do Not Disturb', loggedIn: false }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PBX_UNKNOWN_VALUE', retryable: false, details: { extension: '101' } });
    expect(String((err as Error).message)).toContain('101');
  });

  it('reports a 204 that changed nothing as PBX_FIELD_IGNORED, never as success', async () => {
    mockLookup();
    mockRead(user());
    nock(PBX).patch(USER).reply(204);
    mockRead(user()); // read-back: CurrentProfileName still Available
    const err = await adapter.apply(target, desired({ profile: 'Away' })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'PBX_FIELD_IGNORED',
      retryable: false,
      details: { extension: '101', field: 'CurrentProfileName' },
    });
  });

  it('writes the FULL ForwardingProfiles list through Pbx.MultiUserUpdate, keeping fields it does not own', async () => {
    const before = user();
    const extra = {
      FutureField: { nested: [1, 2] },
      AwayRoute: { AllHoursInternal: true, Internal: { To: 'VoiceMail' } },
    };
    before.ForwardingProfiles[2] = profile(72, 'Out of office', extra);
    mockLookup();
    mockRead(before);
    let body: { ids: number[]; user: { ForwardingProfiles: Record<string, unknown>[] } } | undefined;
    nock(PBX)
      .post('/xapi/v1/Users/Pbx.MultiUserUpdate', (b: typeof body) => ((body = b), true))
      .reply(204);
    const after = {
      ...before,
      ForwardingProfiles: before.ForwardingProfiles.map((p) => ({ ...p, RingMyMobile: true })),
    };
    mockRead(after);
    await expect(adapter.apply(target, desired({ ringMyMobile: true }))).resolves.toEqual({
      changed: ['ringMyMobile'],
    });
    expect(body?.ids).toEqual([7]);
    expect(Object.keys(body?.user ?? {})).toEqual(['ForwardingProfiles']);
    expect(body?.user.ForwardingProfiles).toEqual(after.ForwardingProfiles);
    expect(body?.user.ForwardingProfiles[2]).toMatchObject(extra);
  });

  it('looks the id up again when the cached one answers 404', async () => {
    mockLookup(7);
    mockRead(user());
    await adapter.apply(target, desired());
    nock(PBX)
      .get(USER)
      .query(READ_QUERY)
      .reply(404, { error: { code: '', message: 'not found' } });
    mockLookup(9);
    mockRead(user({ Id: 9 }), '/xapi/v1/Users(9)');
    await expect(adapter.apply(target, desired())).resolves.toEqual({ changed: [] });
  });

  it('fails with PBX_UNKNOWN_EXTENSION naming the extension when no user has the number', async () => {
    nock(PBX).get('/xapi/v1/Users').query(true).reply(200, { value: [] });
    const err = await adapter.apply(target, desired()).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'PBX_UNKNOWN_EXTENSION',
      retryable: false,
      details: { extension: '101' },
    });
    expect((err as Error).message).toContain('extension 101');
  });

  it('skips external calls when disabled and says so once in the log', async () => {
    mockLookup();
    mockRead(user(), USER, 2);
    await adapter.apply(target, desired({ externalCalls: false }));
    await adapter.apply(target, desired({ externalCalls: false }));
    expect(logs.lines.filter((l) => l.includes('external-call sync is off'))).toHaveLength(1);
  });

  it('writes Internal when external-call sync is enabled', async () => {
    await adapter.stop();
    adapter = build(true);
    mockLookup();
    mockRead(user());
    let body: unknown;
    nock(PBX)
      .patch(USER, (b: unknown) => ((body = b), true))
      .reply(204);
    mockRead(user({ Internal: true }));
    await expect(adapter.apply(target, desired({ externalCalls: false }))).resolves.toEqual({
      changed: ['externalCalls'],
    });
    expect(body).toEqual({ Internal: true });
  });

  it('never logs the client secret or the token', async () => {
    mockLookup();
    mockRead(user());
    nock(PBX)
      .patch(USER)
      .reply(500, { error: { code: 'Boom', message: 'internal' } });
    await adapter.apply(target, desired({ profile: 'Away' })).catch(() => undefined);
    const text = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(text).not.toContain('top-secret-key');
    expect(text).not.toContain('T1');
  });
});
