/** /v1/webhooks: endpoints that receive status events over HTTP, and their deliveries (admin only). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DeliveryRecord, DeliveryStore } from '../../webhooks/delivery-store.js';
import type { EndpointStore, WebhookEndpoint } from '../../webhooks/endpoint-store.js';
import { secretHint } from '../../webhooks/signature.js';
import { ADMIN_ONLY, authorize } from '../auth.js';
import { errorResponses } from '../schemas/common.js';
import {
  createdWebhookBody,
  createWebhookBody,
  deliveriesQuery,
  deliveryBody,
  deliveryParams,
  patchWebhookBody,
  webhookBody,
  webhookParams,
} from '../schemas/webhooks.js';

export interface WebhookRoutesDeps {
  endpoints: EndpointStore;
  deliveries: DeliveryStore;
  /** Tells the local deliverer to pick up a change now (others see it within a lease round). */
  changed: () => void;
  clock: () => Date;
}

const tags = ['webhooks'];
const security = [{ bearer: [] }];
const config = { access: ADMIN_ONLY };

/** What the API shows of an endpoint: never the secret. */
function view(e: WebhookEndpoint) {
  const { secret, ...rest } = e;
  return { ...rest, secretHint: secretHint(secret) };
}

/** What it shows of a delivery: not the request body. */
function deliveryView(d: DeliveryRecord) {
  const { body: _body, ...rest } = d;
  return rest;
}

export const webhookRoutes =
  (deps: WebhookRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/webhooks',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'List webhook endpoints (admin)',
          response: { 200: z.object({ items: z.array(webhookBody) }), ...errorResponses() },
        },
      },
      async (request) => {
        authorize(request, ADMIN_ONLY);
        return { items: (await deps.endpoints.list()).map(view) };
      },
    );

    app.post(
      '/webhooks',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Create a webhook endpoint (admin)',
          body: createWebhookBody,
          response: { 201: createdWebhookBody, ...errorResponses(409, 422) },
        },
      },
      async (request, reply) => {
        authorize(request, ADMIN_ONLY);
        const { endpoint, secretGenerated } = await deps.endpoints.create(request.body);
        deps.changed();
        return reply
          .code(201)
          .header('location', `/v1/webhooks/${endpoint.id}`)
          .send({ ...view(endpoint), ...(secretGenerated ? { secret: endpoint.secret } : {}) });
      },
    );

    app.get(
      '/webhooks/:id',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Get one webhook endpoint (admin)',
          params: webhookParams,
          response: { 200: webhookBody, ...errorResponses(404) },
        },
      },
      async (request) => {
        authorize(request, ADMIN_ONLY);
        return view(await deps.endpoints.require(request.params.id));
      },
    );

    app.patch(
      '/webhooks/:id',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Update a webhook endpoint (admin; not those of the configuration file)',
          params: webhookParams,
          body: patchWebhookBody,
          response: { 200: webhookBody, ...errorResponses(404, 409, 422) },
        },
      },
      async (request) => {
        authorize(request, ADMIN_ONLY);
        const updated = await deps.endpoints.update(request.params.id, request.body);
        deps.changed();
        return view(updated);
      },
    );

    app.delete(
      '/webhooks/:id',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Delete a webhook endpoint and its queued deliveries (admin)',
          params: webhookParams,
          response: { 204: z.null(), ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        authorize(request, ADMIN_ONLY);
        await deps.endpoints.delete(request.params.id);
        deps.changed();
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Recent deliveries of an endpoint, newest first, with their attempts (admin)',
          params: webhookParams,
          querystring: deliveriesQuery,
          response: { 200: z.object({ items: z.array(deliveryBody) }), ...errorResponses(404) },
        },
      },
      async (request) => {
        authorize(request, ADMIN_ONLY);
        await deps.endpoints.require(request.params.id);
        const { limit, status } = request.query;
        const items = await deps.deliveries.list(request.params.id, limit, status);
        return { items: items.map(deliveryView) };
      },
    );

    app.get(
      '/webhooks/:id/deliveries/:deliveryId',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'One delivery with its attempts (admin)',
          params: deliveryParams,
          response: { 200: deliveryBody, ...errorResponses(404) },
        },
      },
      async (request) => {
        authorize(request, ADMIN_ONLY);
        await deps.endpoints.require(request.params.id);
        return deliveryView(await deps.deliveries.get(request.params.id, request.params.deliveryId));
      },
    );

    app.post(
      '/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        config,
        schema: {
          tags,
          security,
          summary: 'Send a delivered or failed delivery again, same webhook-id, fresh retry window (admin)',
          params: deliveryParams,
          response: { 202: deliveryBody, ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        authorize(request, ADMIN_ONLY);
        await deps.endpoints.require(request.params.id);
        const record = await deps.deliveries.redeliver(
          request.params.id,
          request.params.deliveryId,
          deps.clock(),
        );
        return reply.code(202).send(deliveryView(record));
      },
    );
  };
