/**
 * The HTTP application factory, separate from listen() so tests drive it with inject() and the daemon decides
 * when to open the socket. Every /v1 route is an encapsulated plugin behind two hooks: Redis must be reachable and
 * the app not closing (else 503 NOT_READY at once) and the bearer key must be known (else 401).
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  validatorCompiler,
  type FastifyPluginAsyncZod,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ERROR_CATALOGUE, notReady } from '../errors.js';
import type { Health } from '../health.js';
import type { Metrics } from '../metrics.js';
import { authenticate, authorizeRoute, type KeyRing } from './auth.js';
import { answerClientError, answerFrameworkError, installErrorHandling } from './error-handler.js';
import { lazyChildLogger } from './lazy-logger.js';
import { healthRoutes } from './routes/health.js';

export const BODY_LIMIT_BYTES = 64 * 1024;

export interface AppDeps {
  log: Logger;
  redis: Redis;
  keyRing: KeyRing;
  health: Health;
  metrics: Metrics;
  /** Route plugins mounted under /v1 (each behind the readiness and auth hooks). */
  v1: FastifyPluginAsyncZod[];
  /** Plugins mounted at the root, outside /v1 (e.g. the web console). */
  root?: FastifyPluginAsyncZod[];
  docs?: boolean;
  version?: string;
  /** Timeouts of the HTTP server (config server.*); the defaults below when absent. */
  timeouts?: Partial<HttpTimeouts>;
}

export interface HttpTimeouts {
  /** The whole request (headers and body) must have arrived within this. */
  requestTimeoutMs: number;
  /** The request's headers must have arrived within this. */
  headersTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
}

export const HTTP_TIMEOUT_DEFAULTS: HttpTimeouts = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
};

/** How often Node checks requestTimeout/headersTimeout (its default, 30 s, would make a 10 s limit a 40 s one). */
const TIMEOUT_CHECK_MS = 1_000;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const timeouts = { ...HTTP_TIMEOUT_DEFAULTS, ...deps.timeouts };
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: BODY_LIMIT_BYTES,
    // A client trickling a request (slowloris) holds a socket at most this long; SSE streams are not affected
    // (their request is complete at once, and their heartbeats are traffic).
    requestTimeout: timeouts.requestTimeoutMs,
    connectionTimeout: timeouts.idleTimeoutMs,
    http: { headersTimeout: timeouts.headersTimeoutMs, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    // Per-request lines would flood the log at contact-center rates; latency goes to metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    // ...and so the request's child logger is made only when something logs (lazy-logger.ts).
    childLoggerFactory: lazyChildLogger,
    // Fastify's own 503 while closing has a body of its own ({"error":"Service Unavailable",...}); requests that
    // arrive while the daemon stops get 503 NOT_READY in the API's error format instead (hook below).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance; // pino's Logger type is wider than FastifyBaseLogger; same object at runtime

  app.setValidatorCompiler(validatorCompiler);
  // Responses are built by our own code from typed values; the zod response schemas document them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installJsonParser(app);
  installErrorHandling(app, () => deps.metrics.redisErrors.inc());
  installRequestMetrics(app, deps.metrics);
  installResponseSafety(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'presence-bridge',
        version: deps.version ?? '0.0.0',
        description: `Agent status API. Error codes: ${Object.keys(ERROR_CATALOGUE).join(', ')}.`,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) =>
      'openapiObject' in document ? markOptionalBodies(document.openapiObject) : document.swaggerObject,
  });
  if (deps.docs !== false)
    await app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      // The UI's own policy (hashes of its inline parts), without framing, and without upgrading a plain-HTTP
      // deployment's requests to https (they would fail).
      staticCSP: true,
      transformStaticCSP: (header) =>
        header
          .replace(/frame-ancestors [^;]*;/, "frame-ancestors 'none';")
          .replace(/\s*upgrade-insecure-requests;/, ''),
    });
  else app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  // Set when app.close() begins: requests still arriving on open keep-alive connections are turned away.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  await app.register(healthRoutes({ health: deps.health, metrics: deps.metrics }));
  for (const plugin of deps.root ?? []) await app.register(plugin);
  await app.register(
    async (v1) => {
      // Perf: the per-request hooks are callback-style (no promise and microtask turn each); Fastify answers a throw
      // from one like a rejection (the error handler).
      v1.addHook('onRequest', (request, _reply, done) => {
        if (closing) throw notReady('the daemon is stopping');
        if (deps.redis.status !== 'ready') throw notReady();
        authenticate(request, deps.keyRing);
        authorizeRoute(request);
        done();
      });
      for (const plugin of deps.v1) await v1.register(plugin);
    },
    { prefix: '/v1' },
  );
  return app;
}

/** JSON only; an empty body is "no body" (clients send Content-Type on DELETE too). Prototype poisoning is refused. */
function installJsonParser(app: FastifyInstance): void {
  const defaultParser = app.getDefaultJsonParser('error', 'error');
  // Fastify also parses text/plain by default; then a text body reached the schema and got 400 instead of the
  // 415 UNSUPPORTED_MEDIA_TYPE the README "Errors" table promises for anything that is not JSON. Keep the JSON parser only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      return defaultParser(request, text, done);
    },
  );
}

interface DocumentedOperation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { nullable?: boolean } }> };
}

/**
 * @fastify/swagger marks every request body as required, but a nullable body schema (e.g. POST .../shift, whose
 * body is optional) accepts a request without one; the document must say so, since it describes exactly what is
 * implemented (README "Errors").
 */
function markOptionalBodies<T extends { paths?: object }>(document: T): T {
  for (const item of Object.values(document.paths ?? {}) as Array<Record<string, DocumentedOperation>>) {
    for (const operation of Object.values(item)) {
      const body = operation?.requestBody;
      if (body && Object.values(body.content ?? {}).every((media) => media.schema?.nullable === true))
        body.required = false;
    }
  }
  return document;
}

/**
 * Headers every answer carries, and what happens to a request answered before its body was read.
 * - nosniff everywhere; API answers are never cached (they carry state and keys' views); /docs is not framed.
 * - A request refused before its body was read (401 on the first hook, 413 from Content-Length) would keep its
 *   connection open while the client trickles the body (Node reads and discards it to reuse the connection): an
 *   unauthenticated client could hold sockets for as long as it likes. Such an answer closes the connection.
 */
function installResponseSafety(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, _payload, done) => {
    if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
    const path = request.url;
    if (path.startsWith('/v1/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
    if (path === '/docs' || path.startsWith('/docs/')) reply.header('x-frame-options', 'DENY');
    if (request.raw.complete === false) {
      reply.header('connection', 'close');
      const socket = request.raw.socket;
      reply.raw.once('finish', () => {
        // Node ends the connection after a "Connection: close" answer; this makes sure a client that also stops
        // reading cannot keep it.
        setTimeout(() => socket.destroy(), 1_000).unref();
      });
    }
    done();
  });
}

function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
