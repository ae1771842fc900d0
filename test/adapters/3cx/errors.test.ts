/** The HTTP/network → PbxError table and Retry-After parsing. */
import { describe, expect, it } from 'vitest';
import { httpStatusError, networkError, retryAfterMs } from '../../../src/adapters/3cx/errors.js';

const ctx = { what: 'read user', extension: '101' };

describe('3CX error mapping', () => {
  it.each([
    [429, 'PBX_RATE_LIMITED', true],
    [500, 'PBX_UNAVAILABLE', true],
    [502, 'PBX_UNAVAILABLE', true],
    [401, 'PBX_AUTH_FAILED', false],
    [402, 'PBX_LICENCE', false],
    [403, 'PBX_PERMISSION_DENIED', false],
    [404, 'PBX_UNKNOWN_EXTENSION', false],
    [409, 'PBX_PROTOCOL', false],
  ])('HTTP %i → %s (retryable %s)', (status, code, retryable) => {
    expect(httpStatusError(status, {}, null, ctx)).toMatchObject({ code, retryable });
  });

  it('404 without an extension is a protocol fault, not an unknown extension', () => {
    expect(httpStatusError(404, {}, null, { what: 'call control listing' }).code).toBe('PBX_PROTOCOL');
  });

  it('recognises a licence refusal in an OAuth error description', () => {
    const body = { error: 'unauthorized_client', error_description: 'API requires an Enterprise licence' };
    expect(httpStatusError(400, {}, body, { what: 'token request' }).code).toBe('PBX_LICENCE');
  });

  it.each([
    ['ECONNABORTED', 'PBX_TIMEOUT'],
    ['ETIMEDOUT', 'PBX_TIMEOUT'],
    ['ECONNREFUSED', 'PBX_UNAVAILABLE'],
    ['ERR_CANCELED', 'PBX_UNAVAILABLE'],
    [undefined, 'PBX_UNAVAILABLE'],
  ])('network %s → %s', (code, expected) => {
    expect(networkError(code, ctx)).toMatchObject({ code: expected, retryable: true });
  });

  it('points at caFile when TLS verification fails', () => {
    expect(networkError('SELF_SIGNED_CERT_IN_CHAIN', ctx).message).toContain('caFile');
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('12', now)).toBe(12_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
