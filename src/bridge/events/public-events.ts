/**
 * What of the outbox clients may see, and how it looks on the wire. The outbox also carries internal entries
 * (timer requests for the dispatcher) and entries the public contract (README "Real-time streams") does not list
 * (`user.directory.changed`, `user.deleted`), so this is an allowlist: a new internal type never leaks by default.
 * Directory changes stay internal because they carry contact data (mobile numbers, extensions) that a board does
 * not need; adding a type to the contract means adding it here and to the README (SSE types in "Routes").
 */
import type { StreamEntry } from './stream-entry.js';

export const PUBLIC_EVENT_TYPES: ReadonlySet<string> = new Set([
  'user.status.changed',
  'user.upcoming.changed',
  'user.activity.started',
  'user.activity.ended',
  'user.overage.started',
  'user.overage.ended',
  'user.connection.changed',
  'user.shift.started',
  'user.shift.ended',
  'user.offer.started',
  'user.offer.ended',
  'user.offer.missed',
  'user.wrap-up.extended',
  'user.wrap-up.ended',
  'status-type.changed',
  'pbx.sync.failed',
  'pbx.connection.changed',
  'pbx.change.reverted',
]);

export function isPublic(entry: StreamEntry): boolean {
  return entry.data !== null && PUBLIC_EVENT_TYPES.has(entry.type);
}

// Entries are shared by every subscriber of the hub: serialize each once, not once per client.
const payloads = new WeakMap<StreamEntry, string>();

/** The SSE `data:` JSON: `{type, userId, at, ...event data}`; userId is null for events not about a user. */
export function publicPayload(entry: StreamEntry): string {
  let payload = payloads.get(entry);
  if (payload === undefined) {
    const { at, type: _type, userId: _userId, ...rest } = entry.data ?? {};
    payload = JSON.stringify({ type: entry.type, userId: entry.userId || null, at, ...rest });
    payloads.set(entry, payload);
  }
  return payload;
}
