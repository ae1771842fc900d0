/**
 * Redis clients. Request-path clients never queue commands while disconnected and time out quickly, so the API
 * answers 503 NOT_READY promptly instead of hanging. BullMQ and subscriber clients need blocking commands and
 * therefore `maxRetriesPerRequest: null`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisConnectionOptions {
  url: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/** Reconnect forever with capped backoff: Redis coming back must heal the daemon without a restart. */
const retryStrategy = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), 2_000);

export function createCommandClient(options: RedisConnectionOptions, log: Logger, name = 'command'): Redis {
  const client = new Redis(options.url, {
    connectionName: `presence-bridge:${name}`,
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy,
    lazyConnect: true,
  } satisfies RedisOptions);
  attachLogging(client, log, name);
  return client;
}

/** For BullMQ workers/queues and pub/sub: blocking commands allowed, offline queue on. */
export function createBlockingClient(options: RedisConnectionOptions, log: Logger, name: string): Redis {
  const client = new Redis(options.url, {
    connectionName: `presence-bridge:${name}`,
    connectTimeout: options.connectTimeoutMs,
    maxRetriesPerRequest: null,
    retryStrategy,
    lazyConnect: true,
  } satisfies RedisOptions);
  attachLogging(client, log, name);
  return client;
}

function attachLogging(client: Redis, log: Logger, name: string): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) log.warn({ client: name, err: err.message }, 'redis connection error');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info({ client: name }, 'redis connection restored');
    down = false;
  });
}

/** Host and port of a redis:// URL (for the embedded-server decision). */
export function hostPortOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: parsed.port ? Number(parsed.port) : 6379 };
}
