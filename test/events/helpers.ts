/** Shared steps of the SSE integration tests. */
import { Keys } from '../../src/bridge/redis/keys.js';
import type { TestDaemon } from '../harness/daemon.js';
import type { SseClient, SseEvent } from './sse-client.js';

export function keysOf(d: TestDaemon): Keys {
  return new Keys(d.config.redis.keyPrefix, d.config.redis.partitions);
}

/** `count` user ids (named `<stem>-<n>`) that fall into pairwise different partitions. */
export function usersInDistinctPartitions(d: TestDaemon, stem: string, count: number): string[] {
  const keys = keysOf(d);
  const byPartition = new Map<number, string>();
  for (let n = 0; byPartition.size < count && n < 1000; n++) {
    const id = `${stem}-${n}`;
    if (!byPartition.has(keys.partitionOf(id))) byPartition.set(keys.partitionOf(id), id);
  }
  return [...byPartition.values()];
}

export async function createUser(d: TestDaemon, id: string): Promise<void> {
  const res = await d.request('admin', 'PUT', `/v1/users/${id}`, { displayName: `User ${id}` });
  if (res.status >= 300) throw new Error(`create ${id}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function setStatus(d: TestDaemon, id: string, statusId: string): Promise<void> {
  const res = await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId });
  if (res.status >= 300) throw new Error(`status ${id}: ${res.status} ${JSON.stringify(res.body)}`);
}

export const statusChange =
  (userId: string, to: string) =>
  (e: SseEvent): boolean =>
    e.event === 'user.status.changed' && e.json.userId === userId && e.json.to === to;

/**
 * Proves a filtered client was not sent something: once `witness` (unfiltered) has the event, the hub has handed
 * it to every session; a later change that `filtered` does receive was written after it on the same socket.
 */
export async function settle(
  witness: SseClient,
  seen: (e: SseEvent) => boolean,
  filtered: SseClient,
  sentinel: () => Promise<(e: SseEvent) => boolean>,
): Promise<void> {
  await witness.next(seen, 'the witness to see the event');
  await filtered.next(await sentinel(), 'the sentinel');
}
