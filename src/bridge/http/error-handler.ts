/**
 * The one HTTP error handler. Errors below 500 pass through as {error: {code, message, details}}; Redis being
 * away becomes 503 NOT_READY; anything else is logged with its cause and answered with a generic 500 that
 * reveals nothing internal.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  ApiError,
  ERROR_CATALOGUE,
  notReady,
  validationFailed,
  type ErrorCode,
  type ValidationIssue,
} from '../errors.js';
import { isRedisUnavailable } from '../redis/unavailable.js';

interface CodedError {
  code: string;
  message: string;
  httpStatus?: number;
  statusCode?: number;
  details?: Record<string, unknown>;
}

/** Domain errors (src/status) carry a stable code that is listed in the catalogue. */
function asCatalogued(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  const coded = err as Partial<CodedError>;
  if (
    typeof coded?.code === 'string' &&
    coded.code in ERROR_CATALOGUE &&
    (err as Error).name === 'DomainError'
  ) {
    return new ApiError(coded.code as ErrorCode, coded.message ?? coded.code, coded.details);
  }
  return null;
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

function zodIssues(err: FastifyError): ValidationIssue[] {
  const where = (err as FastifyError & { validationContext?: string }).validationContext;
  const pathOf = (field: string) => {
    const path =
      where && where !== 'body'
        ? [where === 'querystring' ? 'query' : where, field].filter(Boolean).join('.')
        : field;
    return path || '(body)';
  };
  return (err.validation ?? []).flatMap((v) => {
    const field = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    // An unknown field is reported by zod on the object that holds it; name the field itself instead, so the
    // issue points at what to remove ("statusID", not "(body)").
    const unknown = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: unknown }).keys : undefined;
    if (Array.isArray(unknown) && unknown.length > 0) {
      return unknown.map((key) => ({
        path: pathOf([field, String(key)].filter(Boolean).join('.')),
        message: 'unknown field',
      }));
    }
    return [{ path: pathOf(field), message: v.message ?? 'invalid' }];
  });
}

/** The usual cause is `curl -d` without `-H 'Content-Type: application/json'` (curl then sends a form type). */
function unsupportedMediaType(request: FastifyRequest): ApiError {
  const sent = request.headers['content-type'];
  return new ApiError(
    'UNSUPPORTED_MEDIA_TYPE',
    `the body must be JSON: send the header "Content-Type: application/json"${sent ? ` (this request sent "${sent.slice(0, 100)}")` : ''}`,
  );
}

function translate(err: FastifyError, request: FastifyRequest): ApiError | null {
  const catalogued = asCatalogued(err);
  if (catalogued) return catalogued;
  if (hasZodFastifySchemaValidationErrors(err)) {
    return new ApiError('VALIDATION_FAILED', 'the request is invalid', { issues: zodIssues(err) });
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped === 'PAYLOAD_TOO_LARGE') return new ApiError(mapped, 'the body is over 64 KiB');
  if (mapped === 'UNSUPPORTED_MEDIA_TYPE') return unsupportedMediaType(request);
  if (mapped) return new ApiError(mapped, err.message);
  if (err instanceof SyntaxError && err.statusCode === 400)
    return new ApiError('INVALID_JSON', 'the body is not valid JSON');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500 && err.code?.startsWith('FST_')) {
    return new ApiError('VALIDATION_FAILED', err.message);
  }
  return null;
}

export function installErrorHandling(app: FastifyInstance, onRedisError: () => void): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let answer = translate(err, request);
    if (!answer && isRedisUnavailable(err)) {
      onRedisError();
      answer = notReady();
    }
    if (!answer) {
      request.log.error({ err }, 'unhandled error');
      answer = new ApiError('INTERNAL', 'internal error; see the server log');
    }
    const retryAfter = answer.details?.retryAfterSeconds;
    if (answer.statusCode === 429 && typeof retryAfter === 'number') reply.header('retry-after', retryAfter);
    return reply.code(answer.statusCode).send(errorBody(answer));
  });
  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    });
  app.setNotFoundHandler(notFound);
  // Fastify reads a body before calling the not-found handler: a request to no route would otherwise wait for a
  // body that an attacker trickles. Answer it at once (its connection is then closed, see app.ts).
  app.addHook('onRequest', (request, reply, done) => {
    const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'];
    if (request.is404 && hasBody && request.headers['content-length'] !== '0') {
      void notFound(request, reply); // answered: the request goes no further (no done())
      return;
    }
    done();
  });
}

function errorBody(answer: ApiError) {
  return {
    error: {
      code: answer.code,
      message: answer.message,
      ...(answer.details ? { details: answer.details } : {}),
    },
  };
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route, hook or error handler runs (a
 * path with bad %-encoding, a path parameter over the router's length limit). Without it Fastify answers them in
 * its own format ({"error":"Bad Request","code":"FST_ERR_BAD_URL",...}), not the API's.
 */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let answer: ApiError;
  if (err.code === 'FST_ERR_BAD_URL') {
    answer = validationFailed([{ path: 'url', message: 'is not a valid URL (bad %-encoding)' }]);
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    answer = validationFailed([{ path: 'params', message: 'a path parameter is too long' }]);
  } else {
    request.log.error({ err }, 'unhandled framework error');
    answer = new ApiError('INTERNAL', 'internal error; see the server log');
  }
  void reply.code(answer.statusCode).send(errorBody(answer));
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses (bytes a request line or a header may not
 * hold, a broken header, headers over the size limit) reach neither the router nor the handlers above. Without it
 * Fastify answers {"error":"Bad Request","message":"Client Error","statusCode":400}, not the API's format.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return; // the client is gone
  let answer: ApiError;
  let status = '400 Bad Request';
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    answer = new ApiError('HEADERS_TOO_LARGE', 'the request headers are too large (16 KiB at most)');
    status = '431 Request Header Fields Too Large';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    answer = new ApiError('REQUEST_TIMEOUT', 'the request did not arrive in time');
    status = '408 Request Timeout';
  } else {
    answer = validationFailed([{ path: 'request', message: 'is not valid HTTP/1.1' }]);
  }
  const body = JSON.stringify(errorBody(answer));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
