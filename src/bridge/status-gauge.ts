/**
 * The pb_users_by_status gauge, refreshed for a scrape from cheap reads: one SCARD per status type of the catalog
 * and partition, in one pipeline (per slot in a cluster), never a SCAN of the keyspace. /metrics needs no key, so
 * whatever the number of scrapers, Redis sees at most one refresh per `minIntervalMs` (concurrent scrapes share
 * the one in flight; scrapes in between serve the last values).
 */
import type { Redis } from 'ioredis';
import { execGrouped } from './redis/cluster.js';
import type { Keys } from './redis/keys.js';

export interface StatusGaugeDeps {
  redis: Redis;
  keys: Keys;
  /** Ids of the status types that exist. */
  statusIds: () => Promise<string[]>;
  gauge: { reset(): void; set(labels: { status: string }, value: number): void };
  minIntervalMs?: number;
}

export async function countInStatuses(
  redis: Redis,
  keys: Keys,
  statusIds: readonly string[],
): Promise<Map<string, number>> {
  const cells = keys
    .allPartitions()
    .flatMap((partition) => statusIds.map((status) => ({ partition, status })));
  const results = await execGrouped(
    redis,
    cells,
    (c) => c.partition,
    (pipeline, c) => pipeline.scard(keys.inStatus(c.partition, c.status)),
  );
  const counts = new Map<string, number>(statusIds.map((id) => [id, 0]));
  cells.forEach((cell, i) => {
    const [err, n] = results[i] ?? [null, 0];
    if (err) throw err;
    counts.set(cell.status, (counts.get(cell.status) ?? 0) + Number(n));
  });
  return counts;
}

export function statusGaugeRefresher(deps: StatusGaugeDeps): () => Promise<void> {
  const minIntervalMs = deps.minIntervalMs ?? 5_000;
  let last = 0;
  let running: Promise<void> | undefined;
  const refresh = async () => {
    const counts = await countInStatuses(deps.redis, deps.keys, await deps.statusIds());
    deps.gauge.reset();
    for (const [status, n] of counts) deps.gauge.set({ status }, n);
    last = Date.now();
  };
  return () => {
    if (running) return running;
    if (Date.now() - last < minIntervalMs) return Promise.resolve();
    running = refresh().finally(() => (running = undefined));
    return running;
  };
}
