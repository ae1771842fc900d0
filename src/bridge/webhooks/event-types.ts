/** Webhooks carry exactly the public event types of the SSE stream (README "Real-time streams"), nothing internal. */
import { PUBLIC_EVENT_TYPES } from '../events/public-events.js';

export const WEBHOOK_EVENT_TYPES: readonly string[] = [...PUBLIC_EVENT_TYPES];

export function isWebhookEventType(type: string): boolean {
  return PUBLIC_EVENT_TYPES.has(type);
}
