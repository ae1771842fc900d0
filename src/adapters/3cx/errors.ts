/**
 * HTTP and network faults of the PBX → PbxError, in one table. Retryable: 429, 5xx, timeouts, network.
 * Permanent: everything else, with a message that names the extension and hints at the usual fix.
 *
 * Messages are built here from status codes and vendor error *codes*; request bodies and headers (token,
 * secret) never reach them, and the axios error is not kept as a cause because it carries the request.
 */
import { isAxiosError } from 'axios';
import { PbxError, type PbxErrorCode } from '../pbx.js';

/** What was being done, for the message; `extension` also goes to details. */
export interface ErrorContext {
  what: string;
  extension?: string | undefined;
}

interface StatusRule {
  matches: (status: number, licence: boolean) => boolean;
  code: PbxErrorCode;
  reason: string;
}

/** First match wins. Licence detection rests on reference §12.11: 3CX documents no licence error. */
const STATUS_RULES: readonly StatusRule[] = [
  { matches: (s) => s === 429, code: 'PBX_RATE_LIMITED', reason: 'rate limited' },
  { matches: (s) => s >= 500, code: 'PBX_UNAVAILABLE', reason: 'PBX error' },
  {
    matches: (s, l) => s === 402 || (s >= 400 && s < 500 && l),
    code: 'PBX_LICENCE',
    reason: 'API not licensed (3CX Enterprise licence required)',
  },
  {
    matches: (s) => s === 401,
    code: 'PBX_AUTH_FAILED',
    reason: 'credentials rejected (check clientId/clientSecret)',
  },
  {
    matches: (s) => s === 403,
    code: 'PBX_PERMISSION_DENIED',
    reason: 'permission denied (give the API client a system-wide admin role and Call Control access)',
  },
];

/** Maps any error thrown while talking to the PBX. A PbxError passes through unchanged. */
export function toPbxError(err: unknown, ctx: ErrorContext): PbxError {
  if (err instanceof PbxError) return err;
  if (!isAxiosError(err)) return networkError(errorCode(err), ctx);
  const res = err.response;
  if (!res) return networkError(err.code, ctx);
  return httpStatusError(res.status, res.headers as Record<string, unknown>, res.data, ctx);
}

/** A non-2xx answer (also used for a refused WebSocket upgrade). */
export function httpStatusError(
  status: number,
  headers: Record<string, unknown>,
  body: unknown,
  ctx: ErrorContext,
): PbxError {
  const rule = STATUS_RULES.find((r) => r.matches(status, mentionsLicence(body)));
  const retryAfter = retryAfterMs(headers['retry-after']);
  const details = {
    ...extensionDetail(ctx),
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  };
  if (rule) return new PbxError(rule.code, describe(ctx, `${rule.reason} (HTTP ${status})`), details);
  if (status === 404 && ctx.extension !== undefined) {
    return new PbxError(
      'PBX_UNKNOWN_EXTENSION',
      describe(ctx, 'no such user on the PBX (HTTP 404)'),
      details,
    );
  }
  return new PbxError('PBX_PROTOCOL', describe(ctx, `HTTP ${status}${vendorCode(body)}`), details);
}

/** No HTTP answer: timeout, refused connection, TLS failure, cancelled by stop(). */
export function networkError(code: string | undefined, ctx: ErrorContext): PbxError {
  const details = extensionDetail(ctx);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new PbxError('PBX_TIMEOUT', describe(ctx, 'no answer in time'), details);
  }
  if (code === 'ERR_CANCELED')
    return new PbxError('PBX_UNAVAILABLE', describe(ctx, 'adapter stopped'), details);
  const reason =
    code && TLS_CODES.has(code)
      ? `TLS verification failed (${code}); set caFile`
      : `unreachable (${code ?? 'network error'})`;
  return new PbxError('PBX_UNAVAILABLE', describe(ctx, reason), details);
}

/** `Retry-After` as delta-seconds or HTTP-date → milliseconds from now. */
export function retryAfterMs(header: unknown, now = Date.now()): number | undefined {
  if (typeof header !== 'string' && typeof header !== 'number') return undefined;
  const text = String(header).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function isHttpStatus(err: unknown, status: number): boolean {
  return isAxiosError(err) && err.response?.status === status;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function describe(ctx: ErrorContext, reason: string): string {
  const who = ctx.extension === undefined ? '' : ` for extension ${ctx.extension}`;
  return `3CX ${ctx.what}${who}: ${reason}`;
}

function extensionDetail(ctx: ErrorContext): { extension?: string } {
  return ctx.extension === undefined ? {} : { extension: ctx.extension };
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** OData `{error:{code,message}}` or OAuth `{error, error_description}`; only used for classification. */
function vendorTexts(body: unknown): string[] {
  if (!body || typeof body !== 'object') return typeof body === 'string' ? [body] : [];
  const error = (body as { error?: unknown; error_description?: unknown }).error;
  const description = (body as { error_description?: unknown }).error_description;
  const inner =
    error && typeof error === 'object' ? Object.values(error as Record<string, unknown>) : [error];
  return [...inner, description].filter((v): v is string => typeof v === 'string');
}

/** [I] 3CX documents no licence error; we recognise "licence/license" in the vendor error text. */
function mentionsLicence(body: unknown): boolean {
  return vendorTexts(body).some((t) => /licen[cs]e/i.test(t));
}

/** The vendor's short error code (not its message) helps operators search 3CX's forum. */
function vendorCode(body: unknown): string {
  const error = (body as { error?: unknown } | null)?.error;
  const code = typeof error === 'string' ? error : (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.length > 0 && code.length <= 80 ? ` (${code})` : '';
}
