/**
 * Deliveries in Redis, per endpoint: a queue (a stream read by one consumer group, so an entry read but not yet
 * finished stays pending across a crash and is read again), and a record per delivery (state, attempts, the
 * request body) kept for GET .../deliveries and redelivery, trimmed to the newest `keep`.
 */
import type { Redis } from 'ioredis';
import { ApiError } from '../errors.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface AttemptRecord {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface DeliveryRecord {
  /** The webhook-id header: the same on every attempt and redelivery of this message. */
  id: string;
  eventType: string;
  userId: string | null;
  /** When the event was committed. */
  eventAt: string;
  status: DeliveryStatus;
  attempts: number;
  /** Start of the retry window (the first attempt, or the redelivery request). */
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  finishedAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** The newest attempts, newest last. */
  recentAttempts: AttemptRecord[];
  body: string;
}

/** A delivery not yet attempted. */
export function pendingDelivery(
  fields: Pick<DeliveryRecord, 'id' | 'eventType' | 'userId' | 'eventAt' | 'body'>,
): DeliveryRecord {
  return {
    ...fields,
    status: 'pending',
    attempts: 0,
    firstAttemptAt: null,
    lastAttemptAt: null,
    nextAttemptAt: null,
    finishedAt: null,
    lastStatusCode: null,
    lastError: null,
    recentAttempts: [],
  };
}

/** One entry read from an endpoint's queue. */
export interface QueuedDelivery {
  /** Stream id of the queue entry (to acknowledge). */
  entryId: string;
  id: string;
  body: string;
  /** Event commit time, ms. */
  eventAtMs: number;
}

export const RECENT_ATTEMPTS = 10;
const GROUP = 'deliver';
/** Only one daemon delivers (the lease holder), so one consumer name: a new holder inherits every pending entry. */
const CONSUMER = 'deliverer';

type XReadReply = Array<[string, Array<[string, string[] | null]>]> | null;

export class DeliveryStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly keep: number,
  ) {}

  /** Queues one delivery unless one with the same id is recorded already (a re-handled outbox entry). */
  async enqueue(endpointId: string, record: DeliveryRecord): Promise<boolean> {
    const eventAtMs = Date.parse(record.eventAt) || Date.now();
    // The body travels in the queue entry; the record gets it with the first attempt's outcome.
    const queued = await runScript(this.redis, 'enqueueWebhook', this.deliveryKeys(endpointId), [
      record.id,
      JSON.stringify({ ...record, body: '' }),
      eventAtMs,
      this.keep,
      record.body,
      eventAtMs,
    ]);
    if (Number(queued) === 1) this.wake();
    return Number(queued) === 1;
  }

  private wakeScheduled = false;

  /** One wake-up PUBLISH per event-loop turn, however many deliveries the turn queued. */
  private wake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      // Best effort: the deliverer also looks at its queues every second.
      this.redis.publish(this.keys.webhooksChannel(), 'queued').catch(() => undefined);
    });
  }

  async ensureGroup(endpointId: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.webhookQueue(endpointId), GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
  }

  /** Up to `count` entries: '0' = those read before and not finished (after `after`), '>' = new ones. */
  async read(endpointId: string, from: '0' | '>', count: number, after = '0'): Promise<QueuedDelivery[]> {
    const reply = (await this.redis.call(
      'XREADGROUP',
      'GROUP',
      GROUP,
      CONSUMER,
      'COUNT',
      String(count),
      'STREAMS',
      this.keys.webhookQueue(endpointId),
      from === '0' ? after : '>',
    )) as XReadReply;
    const entries = reply?.[0]?.[1] ?? [];
    return entries.map(([entryId, fields]) => parseQueued(entryId, fields ?? []));
  }

  async records(endpointId: string, ids: string[]): Promise<Array<DeliveryRecord | null>> {
    if (ids.length === 0) return [];
    const raw = await this.redis.hmget(this.keys.webhookDeliveries(endpointId), ...ids);
    return raw.map((json) => (json ? (JSON.parse(json) as DeliveryRecord) : null));
  }

  /**
   * Stores an attempt's outcome; a finished delivery also leaves the queue. A pipeline, not a transaction: a
   * crash after the record and before the XACK leaves an entry whose record is finished, which the next reader
   * drops without sending (EndpointWorker.accept).
   */
  async save(endpointId: string, record: DeliveryRecord, entryId: string | null): Promise<void> {
    const queue = this.keys.webhookQueue(endpointId);
    const pipeline = this.redis.pipeline();
    pipeline.hset(this.keys.webhookDeliveries(endpointId), record.id, JSON.stringify(record));
    if (entryId && record.status !== 'pending') pipeline.xack(queue, GROUP, entryId).xdel(queue, entryId);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  /** Acknowledges an entry whose delivery is gone (endpoint recreated, record replaced by a redelivery). */
  async drop(endpointId: string, entryId: string): Promise<void> {
    await this.redis
      .multi()
      .xack(this.keys.webhookQueue(endpointId), GROUP, entryId)
      .xdel(this.keys.webhookQueue(endpointId), entryId)
      .exec();
  }

  /** Newest first. */
  async list(endpointId: string, limit: number, status?: DeliveryStatus): Promise<DeliveryRecord[]> {
    const found: DeliveryRecord[] = [];
    const page = Math.max(limit, 100);
    for (let start = 0; found.length < limit; start += page) {
      const ids = await this.redis.zrevrange(
        this.keys.webhookDeliveryIndex(endpointId),
        start,
        start + page - 1,
      );
      if (ids.length === 0) break;
      for (const record of await this.records(endpointId, ids)) {
        if (record && (!status || record.status === status)) found.push(record);
        if (found.length >= limit) break;
      }
      if (!status) break;
    }
    return found;
  }

  async get(endpointId: string, id: string): Promise<DeliveryRecord> {
    const [record] = await this.records(endpointId, [id]);
    if (!record) throw notFound(id);
    return record;
  }

  /** Queues a finished delivery again, with a fresh retry window; the webhook-id stays the same. */
  async redeliver(endpointId: string, id: string, now: Date): Promise<DeliveryRecord> {
    const raw = await this.redis.hget(this.keys.webhookDeliveries(endpointId), id);
    if (!raw) throw notFound(id);
    const current = JSON.parse(raw) as DeliveryRecord;
    if (current.status === 'pending')
      throw new ApiError('WEBHOOK_DELIVERY_PENDING', `delivery "${id}" is still being attempted`);
    const next: DeliveryRecord = {
      ...current,
      status: 'pending',
      firstAttemptAt: null,
      nextAttemptAt: now.toISOString(),
      finishedAt: null,
    };
    const eventAtMs = Date.parse(current.eventAt) || now.getTime();
    const result = Number(
      await runScript(this.redis, 'redeliverWebhook', this.deliveryKeys(endpointId), [
        id,
        raw,
        JSON.stringify(next),
        now.getTime(),
        this.keys.webhooksChannel(),
        endpointId,
        next.body,
        eventAtMs,
      ]),
    );
    if (result === -1) throw notFound(id);
    if (result === 0)
      throw new ApiError('WEBHOOK_DELIVERY_PENDING', `delivery "${id}" changed meanwhile; read it again`);
    return next;
  }

  /** Entries waiting (queued or being attempted) and the commit time of the oldest, for the lag gauge. */
  async backlog(endpointId: string): Promise<{ depth: number; oldestMs: number | null }> {
    const key = this.keys.webhookQueue(endpointId);
    const [[, depth], [, first]] = ((await this.redis
      .multi()
      .xlen(key)
      .xrange(key, '-', '+', 'COUNT', 1)
      .exec()) ?? []) as [[unknown, number], [unknown, Array<[string, string[]]>]];
    const entry = first?.[0];
    return { depth: Number(depth ?? 0), oldestMs: entry ? parseQueued(entry[0], entry[1]).eventAtMs : null };
  }

  private deliveryKeys(endpointId: string): string[] {
    return [
      this.keys.webhookQueue(endpointId),
      this.keys.webhookDeliveries(endpointId),
      this.keys.webhookDeliveryIndex(endpointId),
    ];
  }
}

function parseQueued(entryId: string, fields: string[]): QueuedDelivery {
  const field = (name: string): string => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] ?? '';
    return '';
  };
  return { entryId, id: field('id'), body: field('body'), eventAtMs: Number(field('at')) || 0 };
}

const notFound = (id: string): ApiError =>
  new ApiError('WEBHOOK_DELIVERY_NOT_FOUND', `no delivery "${id}" is kept for this endpoint`);
