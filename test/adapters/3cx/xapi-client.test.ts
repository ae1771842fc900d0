/** XapiClient at request level (nock): OData paging within $top ≤ 100, and HTTP faults → PbxError. */
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PbxError } from '../../../src/adapters/pbx.js';
import { clientStack, PBX } from './support.js';

const read = { method: 'GET' as const, path: '/xapi/v1/Users(7)', what: 'read user', extension: '101' };

beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  nock(PBX).post('/connect/token').reply(200, { access_token: 'T1', expires_in: 3600 }).persist();
});
afterEach(() => {
  nock.cleanAll();
});

describe('3CX XAPI paging', () => {
  it('walks a collection in pages of at most 100 with $skip', async () => {
    const { client } = clientStack();
    const seen: Array<{ top: number; skip: number }> = [];
    const rows = Array.from({ length: 250 }, (_, i) => ({ Id: i + 1, Number: String(1000 + i) }));
    nock(PBX)
      .get('/xapi/v1/Users')
      .query(true)
      .times(3)
      .reply(function () {
        const q = new URL(this.req.path, PBX).searchParams;
        const top = Number(q.get('$top'));
        const skip = Number(q.get('$skip'));
        seen.push({ top, skip });
        if (top > 100)
          return [
            400,
            { error: { code: '', message: "The limit of '100' for Top query has been exceeded." } },
          ];
        return [200, { '@odata.context': 'x', value: rows.slice(skip, skip + top) }];
      });
    const all = await client.listAll({
      path: '/xapi/v1/Users',
      query: { $select: 'Id,Number' },
      what: 'poll',
    });
    expect(all).toHaveLength(250);
    expect(seen).toEqual([
      { top: 100, skip: 0 },
      { top: 100, skip: 100 },
      { top: 100, skip: 200 },
    ]);
  });

  it('keeps paging after a short page that announces @odata.nextLink', async () => {
    const { client } = clientStack();
    nock(PBX)
      .get('/xapi/v1/Users')
      .query({ $top: '100', $skip: '0' })
      .reply(200, { value: [{ Id: 1 }], '@odata.nextLink': 'more' });
    nock(PBX)
      .get('/xapi/v1/Users')
      .query({ $top: '100', $skip: '1' })
      .reply(200, { value: [{ Id: 2 }] });
    await expect(client.listAll({ path: '/xapi/v1/Users', what: 'poll' })).resolves.toEqual([
      { Id: 1 },
      { Id: 2 },
    ]);
  });
});

describe('3CX HTTP faults', () => {
  async function failure(
    reply: (scope: nock.Interceptor) => nock.Scope,
    timeoutMs?: number,
  ): Promise<PbxError> {
    const { client } = clientStack(timeoutMs === undefined ? {} : { timeoutMs });
    reply(nock(PBX).get('/xapi/v1/Users(7)'));
    const err = await client.request(read).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PbxError);
    return err as PbxError;
  }

  it('429 with Retry-After → retryable PBX_RATE_LIMITED with retryAfterMs', async () => {
    const err = await failure((i) => i.reply(429, '', { 'Retry-After': '7' }));
    expect(err).toMatchObject({
      code: 'PBX_RATE_LIMITED',
      retryable: true,
      details: { retryAfterMs: 7000, extension: '101' },
    });
  });

  it('503 with an HTTP-date Retry-After → retryable PBX_UNAVAILABLE', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const err = await failure((i) => i.reply(503, '', { 'Retry-After': at }));
    expect(err.code).toBe('PBX_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.details.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.details.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('no answer within requestTimeoutMs → retryable PBX_TIMEOUT', async () => {
    const err = await failure((i) => i.delay(500).reply(200, {}), 50);
    expect(err).toMatchObject({ code: 'PBX_TIMEOUT', retryable: true });
  });

  it('403 → permanent PBX_PERMISSION_DENIED naming the extension', async () => {
    const err = await failure((i) =>
      i.reply(403, { error: { code: 'Forbidden', message: 'Access denied' } }),
    );
    expect(err).toMatchObject({ code: 'PBX_PERMISSION_DENIED', retryable: false });
    expect(err.message).toContain('extension 101');
  });

  it('403 whose error mentions the licence → permanent PBX_LICENCE', async () => {
    const err = await failure((i) =>
      i.reply(403, { error: { code: '', message: 'This feature requires an Enterprise license' } }),
    );
    expect(err).toMatchObject({ code: 'PBX_LICENCE', retryable: false });
  });

  it('404 on a user path → PBX_UNKNOWN_EXTENSION', async () => {
    const err = await failure((i) => i.reply(404, { error: { code: '', message: 'not found' } }));
    expect(err).toMatchObject({
      code: 'PBX_UNKNOWN_EXTENSION',
      retryable: false,
      details: { extension: '101' },
    });
  });

  it('400 → permanent PBX_PROTOCOL carrying the vendor code', async () => {
    const err = await failure((i) => i.reply(400, { error: { code: 'BadQuery', message: 'bad' } }));
    expect(err).toMatchObject({ code: 'PBX_PROTOCOL', retryable: false });
    expect(err.message).toContain('BadQuery');
  });
});
