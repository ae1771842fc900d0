/**
 * Who is not in step with the PBX, read from the per-connection pending and failed sets that commitUser and
 * recordSync keep in the same step as each user's sync state (no keyspace scan): one ZCARD and one ZRANGE per
 * partition and connection, for /metrics; the members, for `GET /v1/users?syncState=`.
 */
import type { Redis } from 'ioredis';
import { execGrouped } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';

export interface PendingSummary {
  connection: string;
  pending: number;
  failed: number;
  /** Age in seconds of the oldest pending user's pending state; 0 when none is pending. */
  oldestPendingSeconds: number;
}

export class SyncIndex {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly connections: readonly string[],
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async summary(): Promise<PendingSummary[]> {
    const cells = this.connections.flatMap((connection) =>
      this.keys.allPartitions().map((p) => ({ connection, p })),
    );
    const results = await execGrouped(
      this.redis,
      cells,
      (c) => c.p,
      (pipeline, { connection, p }) =>
        pipeline
          .zcard(this.keys.syncPending(p, connection))
          .zrange(this.keys.syncPending(p, connection), 0, 0, 'WITHSCORES')
          .zcard(this.keys.syncFailed(p, connection)),
    );
    const now = this.clock().getTime();
    const byConnection = new Map<string, PendingSummary>(
      this.connections.map((connection) => [
        connection,
        { connection, pending: 0, failed: 0, oldestPendingSeconds: 0 },
      ]),
    );
    cells.forEach(({ connection }, i) => {
      const [pending, oldest, failed] = [0, 1, 2].map((j) => valueOf(results[3 * i + j]));
      const summary = byConnection.get(connection) as PendingSummary;
      summary.pending += Number(pending);
      summary.failed += Number(failed);
      const since = Array.isArray(oldest) && oldest.length === 2 ? Number(oldest[1]) : null;
      if (since !== null) {
        summary.oldestPendingSeconds = Math.max(
          summary.oldestPendingSeconds,
          Math.max(0, (now - since) / 1000),
        );
      }
    });
    return [...byConnection.values()];
  }

  /** Every user whose sync state is `state`, on any configured connection. */
  async userIds(state: 'pending' | 'failed'): Promise<string[]> {
    const cells = this.connections.flatMap((connection) =>
      this.keys.allPartitions().map((p) => ({ connection, p })),
    );
    const keyOf = (connection: string, p: number) =>
      state === 'pending' ? this.keys.syncPending(p, connection) : this.keys.syncFailed(p, connection);
    const results = await execGrouped(
      this.redis,
      cells,
      (c) => c.p,
      (pipeline, { connection, p }) => pipeline.zrange(keyOf(connection, p), 0, -1),
    );
    return [...new Set(results.flatMap((r) => valueOf(r) as string[]))];
  }
}

function valueOf(result: [Error | null, unknown] | undefined): unknown {
  if (!result) return null;
  const [err, value] = result;
  if (err) throw err;
  return value;
}
