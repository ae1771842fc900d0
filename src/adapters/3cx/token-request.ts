/**
 * POST /connect/token with the client-credentials grant (swagger `securitySchemes`; reference §2). Sent as
 * application/x-www-form-urlencoded, the OAuth2 standard form; 3CX's own examples use multipart, and both
 * are reported to work. The body holds the secret, so neither the body nor the axios error is ever
 * logged or kept.
 */
import type { AxiosInstance } from 'axios';
import { PbxError } from '../pbx.js';
import { httpStatusError, toPbxError } from './errors.js';
import type { TokenResponse } from './token-manager.js';

export const TOKEN_PATH = '/connect/token';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export async function requestToken(
  http: AxiosInstance,
  credentials: ClientCredentials,
  signal: AbortSignal,
): Promise<TokenResponse> {
  const form = new URLSearchParams({
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    grant_type: 'client_credentials',
  });
  try {
    const res = await http.post<unknown>(TOKEN_PATH, form.toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      signal,
    });
    return parseTokenResponse(res.data);
  } catch (err) {
    throw tokenError(err);
  }
}

function parseTokenResponse(body: unknown): TokenResponse {
  const token = (body as { access_token?: unknown } | null)?.access_token;
  if (typeof token !== 'string' || token.length === 0) {
    throw new PbxError('PBX_PROTOCOL', '3CX token request: answer has no access_token');
  }
  return body as TokenResponse;
}

/** OAuth answers a wrong client id or secret with 400 `invalid_client` as well as 401. */
function tokenError(err: unknown): PbxError {
  const ctx = { what: 'token request' };
  const mapped = toPbxError(err, ctx);
  const status = (err as { response?: { status?: number } }).response?.status;
  if (status === 400 && mapped.code === 'PBX_PROTOCOL') return httpStatusError(401, {}, null, ctx);
  return mapped;
}
