/**
 * The one key builder. Every Redis key the daemon uses is built here.
 *
 * Users are spread over `partitions` partitions. All keys of one partition (its users' state and history,
 * its indexes and its event stream) share one hash tag `{p<N>}`, so every multi-key script touches one Redis
 * Cluster slot. Catalog keys share the `{catalog}` tag for the same reason.
 */

/** FNV-1a: stable across processes and versions (unlike a language's built-in hash), cheap, well spread. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export class Keys {
  constructor(
    readonly prefix: string,
    readonly partitions: number,
  ) {}

  partitionOf(userId: string): number {
    return fnv1a(userId) % this.partitions;
  }

  allPartitions(): number[] {
    return Array.from({ length: this.partitions }, (_, i) => i);
  }

  private tag(partition: number): string {
    return `${this.prefix}{p${partition}}`;
  }

  // Catalog
  statusTypes(): string {
    return `${this.prefix}{catalog}:status-types`;
  }
  statusTypeNames(): string {
    return `${this.prefix}{catalog}:status-type-names`;
  }
  /** Written with the built-in status types: its absence means Redis lost the catalog (see seed-guard.ts). */
  catalogSeeded(): string {
    return `${this.prefix}{catalog}:seeded`;
  }
  catalogChannel(): string {
    return `${this.prefix}catalog-changed`;
  }
  /** Outbox of catalog changes that need work per user (written in the same script as the change). */
  catalogOutbox(): string {
    return `${this.prefix}{catalog}:outbox`;
  }

  // Per user (all in the user's partition slot)
  user(userId: string): string {
    return `${this.tag(this.partitionOf(userId))}:user:${userId}`;
  }
  history(userId: string): string {
    return `${this.tag(this.partitionOf(userId))}:history:${userId}`;
  }

  activityLog(userId: string): string {
    return `${this.tag(this.partitionOf(userId))}:activities:${userId}`;
  }
  /** Offers the user let ring out, newest first (reports). */
  missedOfferLog(userId: string): string {
    return `${this.tag(this.partitionOf(userId))}:missed-offers:${userId}`;
  }
  /**
   * Ids of the user's own entries of its partition stream (zset, score = the id's milliseconds), written beside
   * them: an agent's SSE resume reads this instead of the whole partition. Trimmed to the partition's window.
   */
  userEvents(userId: string): string {
    return `${this.tag(this.partitionOf(userId))}:user-events:${userId}`;
  }
  /** Ids of partition 0's catalog entries (status-type.changed), like userEvents; the agents' other index. */
  catalogEvents(): string {
    return `${this.tag(0)}:catalog-events`;
  }

  // Per partition
  userIndex(partition: number): string {
    return `${this.tag(partition)}:users`;
  }
  inStatus(partition: number, statusId: string): string {
    return `${this.tag(partition)}:in-status:${statusId}`;
  }
  inUpcoming(partition: number, statusId: string): string {
    return `${this.tag(partition)}:in-upcoming:${statusId}`;
  }
  /** Set while a status type is being deleted, and after: nobody of the partition may enter it (closeStatusType). */
  typeGone(partition: number, statusId: string): string {
    return `${this.tag(partition)}:type-gone:${statusId}`;
  }
  /**
   * Users of a PBX connection whose sync state is pending (scored by since, ms) or failed (scored by when it
   * failed): written by commitUser and recordSync in the same step as the state, read by metrics and listings.
   */
  syncPending(partition: number, connection: string): string {
    return `${this.tag(partition)}:sync-pending:${connection}`;
  }
  syncFailed(partition: number, connection: string): string {
    return `${this.tag(partition)}:sync-failed:${connection}`;
  }
  events(partition: number): string {
    return `${this.tag(partition)}:events`;
  }
  /**
   * Heartbeats that change nothing visible only move the user's score here (epoch ms), not the state: the
   * live lastSeen is the newer of this and the stored one (see UserStore.touch).
   */
  lastSeen(partition: number): string {
    return `${this.tag(partition)}:last-seen`;
  }
  /**
   * The partition's durable timers (zset: member = user, kind and command, see timers/timer-member.ts; score = due
   * time in ms on the daemon's clock), written by the commit script with the change that requests them.
   */
  timers(partition: number): string {
    return `${this.tag(partition)}:timers`;
  }
  eventsChannel(): string {
    return `${this.prefix}events-wakeup`;
  }

  // PBX bookkeeping, one slot
  extensionIndex(): string {
    return `${this.prefix}{pbx}:extensions`;
  }
  userExtension(): string {
    return `${this.prefix}{pbx}:user-extension`;
  }
  syncLock(userId: string): string {
    return `${this.prefix}{pbx}:sync-lock:${userId}`;
  }

  /** Who holds a PBX connection, and the counter its fencing tokens come from. */
  pbxLease(connection: string): string {
    return `${this.prefix}{pbx}:lease:${connection}`;
  }
  pbxFenceCounter(connection: string): string {
    return `${this.prefix}{pbx}:fence-counter:${connection}`;
  }
  /** Connection state published by each connection's holder. */
  pbxStatus(): string {
    return `${this.prefix}{pbx}:status`;
  }
  /** The running daemons' heartbeats, by instance id (see ha/daemon-roster.ts). */
  daemons(): string {
    return `${this.prefix}{pbx}:daemons`;
  }
  /** The highest fencing token seen for a connection, per partition (checked inside the commit script). */
  pbxFence(partition: number, connection: string): string {
    return `${this.tag(partition)}:fence:${connection}`;
  }

  // Webhooks: the endpoint registry and the delivery lease in one slot, each endpoint's delivery keys in its own
  /** API-created webhook endpoints, by id (JSON). */
  webhookEndpoints(): string {
    return `${this.prefix}{wh}:endpoints`;
  }
  /** Which daemon delivers webhooks, and the counter its tokens come from. */
  webhookLease(): string {
    return `${this.prefix}{wh}:lease`;
  }
  webhookLeaseCounter(): string {
    return `${this.prefix}{wh}:lease-counter`;
  }
  /** Deliveries waiting for one endpoint, oldest first (a stream read by one consumer group). */
  webhookQueue(endpointId: string): string {
    return `${this.prefix}{wh:${endpointId}}:queue`;
  }
  /** Delivery records of one endpoint by delivery id (JSON), and their index by time for listing and trimming. */
  webhookDeliveries(endpointId: string): string {
    return `${this.prefix}{wh:${endpointId}}:deliveries`;
  }
  webhookDeliveryIndex(endpointId: string): string {
    return `${this.prefix}{wh:${endpointId}}:delivery-index`;
  }
  /** Published after a delivery is queued, so the deliverer wakes at once. */
  webhooksChannel(): string {
    return `${this.prefix}webhooks-wakeup`;
  }

  /** BullMQ prefix: hash-tagged so each queue's keys live in one slot. */
  bullPrefix(): string {
    return `${this.prefix}{bull}`;
  }

  /** Every key this daemon may have created (for tests cleaning their own prefix). */
  pattern(): string {
    return `${this.prefix}*`;
  }
}
