/** Operator endpoints outside /v1: no key (restrict them at the network level). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Health } from '../../health.js';
import type { Metrics } from '../../metrics.js';

const tags = ['operations'];

const readinessBody = z.object({
  status: z.enum(['ready', 'degraded', 'not-ready']),
  checks: z.object({
    redis: z.record(z.string(), z.unknown()),
    pbx: z.record(z.string(), z.record(z.string(), z.unknown())),
    workers: z.record(z.string(), z.unknown()),
    catalog: z.record(z.string(), z.unknown()),
  }),
});

export const healthRoutes =
  (deps: { health: Health; metrics: Metrics }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/health/live',
      {
        schema: {
          tags,
          summary: 'Liveness: 200 while the process runs',
          response: { 200: z.object({ status: z.literal('live') }) },
        },
      },
      async () => ({ status: 'live' as const }),
    );

    app.get(
      '/health/ready',
      {
        schema: {
          tags,
          summary: 'Readiness: Redis, PBX connections, workers, status types in Redis',
          response: { 200: readinessBody, 503: readinessBody },
        },
      },
      async (_request, reply) => {
        const readiness = await deps.health.readiness();
        return reply.code(readiness.status === 'not-ready' ? 503 : 200).send(readiness);
      },
    );

    app.get(
      '/metrics',
      {
        schema: { tags, summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] },
      },
      async (_request, reply) => {
        // A refresher failing (Redis away) must not hide the rest of the metrics.
        await Promise.allSettled(deps.metrics.beforeScrape.map((refresh) => refresh()));
        const text = await deps.metrics.registry.metrics();
        return reply.type(deps.metrics.registry.contentType).send(text);
      },
    );
  };
