/** /v1/status-types: the catalog admins manage (README "Routes"). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StatusTypeStore } from '../../catalog/status-type-store.js';
import { fieldsNaming, type StatusReference } from '../../config/status-references.js';
import {
  withQueueHandling,
  type QueueMode,
  type StatusType,
  type StatusTypeShown,
} from '../../../status/index.js';
import { ApiError } from '../../errors.js';
import { ADMIN_ONLY, ANY_ROLE, authorize } from '../auth.js';
import { errorResponses } from '../schemas/common.js';
import {
  createStatusTypeBody,
  patchStatusTypeBody,
  statusTypeBody,
  statusTypeParams,
  statusTypeWriteBody,
} from '../schemas/status-types.js';

export interface StatusTypeRoutesDeps {
  statusTypes: StatusTypeStore;
  /** Status types the configuration names: those cannot be deleted. */
  configReferences?: readonly StatusReference[];
  /** The deprecated global `sync.queueMode`, when configured (it changes the queue handling shown). */
  queueModeFallback?: QueueMode | undefined;
}

const tags = ['status types'];
const security = [{ bearer: [] }];

const stripReadOnly = <T extends Record<string, unknown>>(body: T) => {
  const { builtIn: _b, version: _v, createdAt: _c, updatedAt: _u, warnings: _w, ...rest } = body;
  return rest;
};

export const statusTypeRoutes =
  (deps: StatusTypeRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // What the PBX gets: queue handling is shown filled in, though a type stores only what an admin set.
    const view = (type: StatusType): StatusTypeShown => withQueueHandling(type, deps.queueModeFallback);
    app.get(
      '/status-types',
      {
        config: { access: ANY_ROLE },
        schema: {
          tags,
          security,
          summary: 'List status types',
          response: { 200: z.array(statusTypeBody), ...errorResponses() },
        },
      },
      async (request) => {
        authorize(request, ANY_ROLE);
        return (await deps.statusTypes.list()).map(view);
      },
    );

    app.post(
      '/status-types',
      {
        config: { access: ADMIN_ONLY },
        schema: {
          tags,
          security,
          summary: 'Create a status type (admin)',
          body: createStatusTypeBody,
          response: { 201: statusTypeWriteBody, ...errorResponses(409) },
        },
      },
      async (request, reply) => {
        authorize(request, ADMIN_ONLY);
        const { statusType, warnings } = await deps.statusTypes.create(stripReadOnly(request.body));
        return reply
          .code(201)
          .header('location', `/v1/status-types/${statusType.id}`)
          .send({ ...view(statusType), warnings });
      },
    );

    app.get(
      '/status-types/:id',
      {
        config: { access: ANY_ROLE },
        schema: {
          tags,
          security,
          summary: 'Get one status type',
          params: statusTypeParams,
          response: { 200: statusTypeBody, ...errorResponses(404) },
        },
      },
      async (request) => {
        authorize(request, ANY_ROLE);
        return view(await deps.statusTypes.require(request.params.id));
      },
    );

    app.patch(
      '/status-types/:id',
      {
        config: { access: ADMIN_ONLY },
        schema: {
          tags,
          security,
          summary: 'Update a status type (admin)',
          params: statusTypeParams,
          body: patchStatusTypeBody,
          response: { 200: statusTypeWriteBody, ...errorResponses(404, 409) },
        },
      },
      async (request) => {
        authorize(request, ADMIN_ONLY);
        const { id, ...patch } = stripReadOnly(request.body);
        if (id !== undefined && id !== request.params.id) {
          throw new ApiError('VALIDATION_FAILED', 'the request is invalid', {
            issues: [{ path: 'id', message: 'is immutable' }],
          });
        }
        const { statusType, warnings } = await deps.statusTypes.update(request.params.id, patch);
        return { ...view(statusType), warnings };
      },
    );

    app.delete(
      '/status-types/:id',
      {
        config: { access: ADMIN_ONLY },
        schema: {
          tags,
          security,
          summary: 'Delete a status type (admin)',
          params: statusTypeParams,
          response: { 204: z.null(), ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        authorize(request, ADMIN_ONLY);
        await deps.statusTypes.delete(request.params.id, (id) =>
          fieldsNaming(deps.configReferences ?? [], id),
        );
        return reply.code(204).send(null);
      },
    );
  };
