/**
 * The webhook endpoints: those of the configuration (read-only through the API) and those created through
 * /v1/webhooks, kept as JSON in one Redis hash so every daemon sees them. The outbox fan-out asks `asOf(ms)`
 * per entry: a list read (with Redis' own clock) after the entry was committed is good for it, so an endpoint
 * created on any daemon gets every event committed after its creation, and a burst costs one read per batch.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WebhookEndpointConfig } from '../config/schema.js';
import { ApiError } from '../errors.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { generateSecret } from './signature.js';

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  /** Only these users' events (and events about no user); null = every user. */
  users: string[] | null;
  secret: string;
  description: string;
  source: 'config' | 'api';
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface EndpointInput {
  id?: string | undefined;
  url: string;
  events: string[];
  users?: string[] | null | undefined;
  secret?: string | undefined;
  description?: string | undefined;
}

export type EndpointPatch = Partial<Omit<EndpointInput, 'id'>>;

/** Checks a URL against the target policy (with DNS); throws WEBHOOK_TARGET_FORBIDDEN. */
export type UrlCheck = (url: string) => Promise<void>;

function fromConfig(e: WebhookEndpointConfig): WebhookEndpoint {
  return {
    id: e.id,
    url: e.url,
    events: [...e.events],
    users: e.users ? [...e.users] : null,
    secret: e.secret,
    description: e.description ?? '',
    source: 'config',
    version: 1,
    createdAt: null,
    updatedAt: null,
  };
}

export class EndpointStore {
  private readonly configured: Map<string, WebhookEndpoint>;
  /** The last list read, and Redis' time (ms) when it was read. */
  private cache: { redisMs: number; list: WebhookEndpoint[] } | undefined;
  private reading: Promise<{ redisMs: number; list: WebhookEndpoint[] }> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    configured: readonly WebhookEndpointConfig[],
    private readonly checkUrl: UrlCheck,
    private readonly clock: () => Date,
  ) {
    this.configured = new Map(configured.map((e) => [e.id, fromConfig(e)]));
  }

  async list(): Promise<WebhookEndpoint[]> {
    return (await this.read()).list;
  }

  /**
   * The endpoints as they were at Redis time `ms` or later (an entry's commit time, from its stream id): the
   * cached list when it was read after `ms`, else a fresh read shared by every caller waiting for one.
   */
  async asOf(ms: number): Promise<WebhookEndpoint[]> {
    if (this.cache && ms < this.cache.redisMs) return this.cache.list;
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    const fresh = await this.reading;
    return fresh.redisMs > ms ? fresh.list : (await this.read()).list;
  }

  private async read(): Promise<{ redisMs: number; list: WebhookEndpoint[] }> {
    const [[, time], [, stored]] = ((await this.redis
      .multi()
      .time()
      .hgetall(this.keys.webhookEndpoints())
      .exec()) ?? []) as [[unknown, [string, string]], [unknown, Record<string, string>]];
    const api = Object.values(stored ?? {})
      .map((json) => JSON.parse(json) as WebhookEndpoint)
      .filter((e) => !this.configured.has(e.id));
    const list = [...this.configured.values(), ...api].sort((a, b) => a.id.localeCompare(b.id));
    const redisMs = Number(time?.[0] ?? 0) * 1000 + Math.floor(Number(time?.[1] ?? 0) / 1000);
    const read = { redisMs, list };
    if (!this.cache || redisMs >= this.cache.redisMs) this.cache = read;
    return read;
  }

  async get(id: string): Promise<WebhookEndpoint | null> {
    const configured = this.configured.get(id);
    if (configured) return configured;
    const json = await this.redis.hget(this.keys.webhookEndpoints(), id);
    return json ? (JSON.parse(json) as WebhookEndpoint) : null;
  }

  async require(id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.get(id);
    if (!endpoint) throw new ApiError('WEBHOOK_NOT_FOUND', `no webhook endpoint "${id}"`);
    return endpoint;
  }

  /** Creates an endpoint; `secretGenerated` tells the caller to show the secret this one time. */
  async create(input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secretGenerated: boolean }> {
    await this.checkUrl(input.url);
    const id = input.id ?? `wh-${randomBytes(6).toString('hex')}`;
    if (this.configured.has(id)) throw exists(id);
    const now = this.clock().toISOString();
    const endpoint: WebhookEndpoint = {
      id,
      url: input.url,
      events: [...new Set(input.events)],
      users: input.users ? [...new Set(input.users)] : null,
      secret: input.secret ?? generateSecret(),
      description: input.description ?? '',
      source: 'api',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const written = await this.put(endpoint, 0);
    if (written === 0) throw exists(id);
    return { endpoint, secretGenerated: input.secret === undefined };
  }

  async update(id: string, patch: EndpointPatch): Promise<WebhookEndpoint> {
    const current = await this.requireApi(id);
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    const next: WebhookEndpoint = {
      ...current,
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
      ...(patch.users !== undefined ? { users: patch.users ? [...new Set(patch.users)] : null } : {}),
      ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      version: current.version + 1,
      updatedAt: this.clock().toISOString(),
    };
    const written = await this.put(next, current.version);
    if (written === -1) throw new ApiError('WEBHOOK_NOT_FOUND', `no webhook endpoint "${id}"`);
    if (written === -2)
      throw new ApiError('VERSION_CONFLICT', 'the endpoint changed meanwhile; read it again');
    return next;
  }

  /** Removes the endpoint and everything queued or recorded for it. */
  async delete(id: string): Promise<void> {
    await this.requireApi(id);
    await this.redis.hdel(this.keys.webhookEndpoints(), id);
    this.cache = undefined;
    await this.redis.del(this.keys.webhookQueue(id));
    await this.redis.del(this.keys.webhookDeliveries(id), this.keys.webhookDeliveryIndex(id));
  }

  private async requireApi(id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.require(id);
    if (endpoint.source === 'config')
      throw new ApiError(
        'WEBHOOK_FROM_CONFIG',
        `webhook endpoint "${id}" is defined in the configuration file`,
      );
    return endpoint;
  }

  private async put(endpoint: WebhookEndpoint, expectedVersion: number): Promise<number> {
    const result = Number(
      await runScript(
        this.redis,
        'putWebhook',
        [this.keys.webhookEndpoints()],
        [endpoint.id, expectedVersion, JSON.stringify(endpoint)],
      ),
    );
    this.cache = undefined;
    return result;
  }
}

const exists = (id: string): ApiError =>
  new ApiError('WEBHOOK_EXISTS', `a webhook endpoint "${id}" exists already`);
