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
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: BODY_LIMIT_BYTES,
    // Per-request lines would flood the log at contact-center rates; latency goes to metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
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
  if (deps.docs !== false) await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
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
      v1.addHook('onRequest', async (request) => {
        if (closing) throw notReady('the daemon is stopping');
        if (deps.redis.status !== 'ready') throw notReady();
        authenticate(request, deps.keyRing);
        authorizeRoute(request);
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
  // 415 UNSUPPORTED_MEDIA_TYPE API.md promises for anything that is not JSON. Keep the JSON parser only.
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
 * implemented (API.md).
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

function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
