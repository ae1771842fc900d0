/**
 * Token flow at request level (nock): single-flight mint, renewal before expiry, expires_in in minutes
 * (before 3CX 20.0.9) vs seconds (from 20.0.9), JWT exp preferred, one renewal on 401 then backoff.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PbxError } from '../../../src/adapters/pbx.js';
import { clientStack, jwtWithExp, PBX } from './support.js';

const MIN = 60_000;
const get = { method: 'GET' as const, path: '/xapi/v1/Users(1)', what: 'read user' };

function tokenReply(access_token: string, expires_in: number | undefined = 3600) {
  return { token_type: 'Bearer', expires_in, access_token, refresh_token: null };
}

function usersWith(token: string, times = 1) {
  return nock(PBX)
    .get('/xapi/v1/Users(1)')
    .matchHeader('authorization', `Bearer ${token}`)
    .times(times)
    .reply(200, { Id: 1 });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

describe('3CX token manager', () => {
  it('sends the client-credentials form and mints once for concurrent requests (single-flight)', async () => {
    const { client, credentials } = clientStack();
    let forms = 0;
    const token = nock(PBX)
      .post('/connect/token', (body: Record<string, string>) => {
        forms += 1;
        return (
          body.client_id === credentials.clientId &&
          body.client_secret === credentials.clientSecret &&
          body.grant_type === 'client_credentials'
        );
      })
      .matchHeader('content-type', /application\/x-www-form-urlencoded/)
      .delay(30)
      .reply(200, tokenReply('T1'));
    const users = usersWith('T1', 5);
    await Promise.all(Array.from({ length: 5 }, () => client.request(get)));
    expect(token.isDone()).toBe(true);
    expect(users.isDone()).toBe(true);
    expect(forms).toBe(1);
  });

  it('renews shortly before expiry, not before', async () => {
    const { client, clock } = clientStack();
    nock(PBX).post('/connect/token').reply(200, tokenReply('T1', 3600));
    usersWith('T1', 2);
    await client.request(get);
    clock.now += 58 * MIN;
    await client.request(get); // 2 minutes left: still T1
    nock(PBX).post('/connect/token').reply(200, tokenReply('T2', 3600));
    const second = usersWith('T2');
    clock.now += 1.5 * MIN; // 30 s left: inside the 60 s margin
    await client.request(get);
    expect(second.isDone()).toBe(true);
  });

  it.each([
    ['minutes (before 20.0.9)', 60],
    ['seconds (from 20.0.9)', 3600],
  ])('reads expires_in in %s as a 60-minute lifetime', async (_label, expiresIn) => {
    const { client, clock } = clientStack();
    nock(PBX).post('/connect/token').reply(200, tokenReply('T1', expiresIn));
    usersWith('T1', 2);
    await client.request(get);
    clock.now += 30 * MIN; // 60 read as seconds would have expired; 3600 read as minutes would last 60 h
    await client.request(get);
    nock(PBX).post('/connect/token').reply(200, tokenReply('T2', expiresIn));
    const renewed = usersWith('T2');
    clock.now += 29.5 * MIN;
    await client.request(get);
    expect(renewed.isDone()).toBe(true);
  });

  it('prefers the JWT exp over expires_in', async () => {
    const { client, clock } = clientStack();
    const first = jwtWithExp(clock.now + 10 * MIN, 'a');
    nock(PBX).post('/connect/token').reply(200, tokenReply(first, 3600));
    usersWith(first);
    await client.request(get);
    const second = jwtWithExp(clock.now + 20 * MIN, 'b');
    nock(PBX).post('/connect/token').reply(200, tokenReply(second, 3600));
    const renewed = usersWith(second);
    clock.now += 9.5 * MIN; // expires_in says 50 more minutes; exp says 30 s
    await client.request(get);
    expect(renewed.isDone()).toBe(true);
  });

  it('renews once on 401 and retries with the new token', async () => {
    const { client } = clientStack();
    nock(PBX).post('/connect/token').reply(200, tokenReply('T1'));
    nock(PBX).get('/xapi/v1/Users(1)').matchHeader('authorization', 'Bearer T1').reply(401);
    nock(PBX).post('/connect/token').reply(200, tokenReply('T2'));
    usersWith('T2');
    await expect(client.request(get)).resolves.toEqual({ Id: 1 });
  });

  it('fails with PBX_AUTH_FAILED after one renewal and backs off before minting again', async () => {
    const { client, clock, tokens } = clientStack({ backoff: { initialMs: 1_000, maxMs: 8_000 } });
    const mints = nock(PBX)
      .post('/connect/token')
      .times(2)
      .reply(200, () => tokenReply(`T${Math.random()}`));
    nock(PBX).get('/xapi/v1/Users(1)').times(2).reply(401);
    const err = await client.request(get).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PbxError);
    expect((err as PbxError).code).toBe('PBX_AUTH_FAILED');
    expect((err as PbxError).retryable).toBe(false);
    expect(mints.isDone()).toBe(true);
    expect(tokens.hasToken()).toBe(false);
    // Within the backoff: no token request at all (nock would answer "no match" → PBX_UNAVAILABLE).
    await expect(client.request(get)).rejects.toMatchObject({ code: 'PBX_AUTH_FAILED' });
    clock.now += 1_001;
    nock(PBX).post('/connect/token').reply(200, tokenReply('T9'));
    usersWith('T9');
    await expect(client.request(get)).resolves.toEqual({ Id: 1 });
  });

  it('maps rejected credentials to PBX_AUTH_FAILED without echoing the secret', async () => {
    const { client, credentials } = clientStack();
    nock(PBX)
      .post('/connect/token')
      .reply(400, { error: 'invalid_client', error_description: 'Client authentication failed' });
    const err = (await client.request(get).catch((e: unknown) => e)) as PbxError;
    expect(err.code).toBe('PBX_AUTH_FAILED');
    expect(JSON.stringify({ m: err.message, d: err.details, s: err.stack })).not.toContain(
      credentials.clientSecret,
    );
  });

  it('reports a network failure of the token endpoint as retryable and mints again at once', async () => {
    const { client } = clientStack();
    nock(PBX)
      .post('/connect/token')
      .replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    await expect(client.request(get)).rejects.toMatchObject({ code: 'PBX_UNAVAILABLE', retryable: true });
    nock(PBX).post('/connect/token').reply(200, tokenReply('T1'));
    usersWith('T1');
    await expect(client.request(get)).resolves.toEqual({ Id: 1 });
  });
});
