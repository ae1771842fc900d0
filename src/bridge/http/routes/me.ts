/**
 * GET /v1/me: who the presented key is. An addition to the original API contract for clients that hold only a key (the web
 * console, an agent desktop) and must learn their role and, for an agent key, the one user it is bound to.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ANY_ROLE, authorize } from '../auth.js';
import { errorResponses } from '../schemas/common.js';

export const meBody = z
  .object({
    name: z.string().describe("the key's name in the configuration (never the key itself)"),
    role: z.enum(['admin', 'supervisor', 'agent', 'integration']),
    userId: z.string().nullable().describe('the user an agent key is bound to; null for other roles'),
  })
  .describe('Me');

export const meRoutes = (): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['auth'],
        security: [{ bearer: [] }],
        summary: 'Who the presented key is: its name, role and, for an agent key, its user (any role)',
        response: { 200: meBody, ...errorResponses() },
      },
    },
    async (request) => {
      const principal = authorize(request, ANY_ROLE);
      return { name: principal.name, role: principal.role, userId: principal.userId ?? null };
    },
  );
};
