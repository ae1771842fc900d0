/**
 * From the outbox to the endpoints' queues. Runs as its own consumer group ("webhooks") on the outbox streams, on
 * every daemon: each entry is handled by one of them and acknowledged only after it was queued for every endpoint
 * that wants it, so a crash loses nothing, and webhooks never hold up PBX sync (a separate group) or a commit.
 * A re-handled entry is queued once (enqueueWebhook checks the delivery id). While no endpoint exists the reader
 * skips the entries rather than reading them (OutboxDispatcher's `idle`); creating one wakes it.
 */
import type { Logger } from 'pino';
import { publicPayload } from '../events/public-events.js';
import type { OutboxHandler } from '../outbox/dispatcher.js';
import { pendingDelivery, type DeliveryRecord, type DeliveryStore } from './delivery-store.js';
import type { EndpointStore, WebhookEndpoint } from './endpoint-store.js';
import { isWebhookEventType } from './event-types.js';

type OutboxEntry = Parameters<OutboxHandler>[0];

/** The webhook-id of an outbox entry: stable (the same on every attempt, redelivery and endpoint). */
export const deliveryId = (entry: OutboxEntry): string => `evt_${entry.partition}_${entry.id}`;

export function wants(endpoint: WebhookEndpoint, entry: OutboxEntry): boolean {
  if (!endpoint.events.includes(entry.type)) return false;
  return endpoint.users === null || entry.userId === '' || endpoint.users.includes(entry.userId);
}

/** Standard Webhooks payload: {type, timestamp, data}; data is exactly the SSE event's JSON. */
export function webhookBody(entry: OutboxEntry): { body: string; at: string } {
  const data = publicPayload({ ...entry, data: entry.data });
  const at =
    typeof entry.data.at === 'string'
      ? entry.data.at
      : new Date(Number(entry.id.split('-')[0])).toISOString();
  return {
    body: `{"type":${JSON.stringify(entry.type)},"timestamp":${JSON.stringify(at)},"data":${data}}`,
    at,
  };
}

export class WebhookFanout {
  constructor(
    private readonly endpoints: EndpointStore,
    private readonly deliveries: DeliveryStore,
    private readonly log: Logger,
  ) {}

  readonly onOutboxEntry: OutboxHandler = async (entry) => {
    if (!isWebhookEventType(entry.type)) return;
    const committedMs = Number(entry.id.split('-')[0]);
    const targets = (await this.endpoints.asOf(committedMs)).filter((e) => wants(e, entry));
    if (targets.length === 0) return;
    const { body, at } = webhookBody(entry);
    for (const endpoint of targets) {
      const queued = await this.deliveries.enqueue(endpoint.id, newRecord(entry, body, at));
      if (!queued)
        this.log.debug(
          { webhook: endpoint.id, delivery: deliveryId(entry) },
          'webhook delivery queued before',
        );
    }
  };
}

function newRecord(entry: OutboxEntry, body: string, at: string): DeliveryRecord {
  return pendingDelivery({
    id: deliveryId(entry),
    eventType: entry.type,
    userId: entry.userId || null,
    eventAt: at,
    body,
  });
}
