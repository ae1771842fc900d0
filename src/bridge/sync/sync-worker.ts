/**
 * Level-triggered PBX sync (DESIGN.md principle 3). A committed change enqueues a job for the user; the job reads
 * the user's *current* state, computes the desired settings and has the adapter make the PBX match. Bursts
 * coalesce: a job whose target and settings equal what was last applied successfully returns without touching
 * the PBX, so ten quick changes cost one push. Reconcile jobs (periodic, and after every adapter reconnect) pass
 * `force` and always ask the adapter, which repairs drift made on the PBX side.
 * One user is synced by one worker at a time (a short Redis lock), whichever daemon runs it.
 */
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PbxError, type PbxAdapter, type PbxTarget } from '../../adapters/pbx.js';
import type { UserState } from '../../status/index.js';
import type { CatalogCache } from '../catalog/catalog-cache.js';
import type { Metrics } from '../metrics.js';
import type { StreamEntry } from '../outbox/outbox-entry.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import type { UserStore } from '../users/user-store.js';
import { desiredSettings, fingerprint } from './desired.js';
import type { StoredSync, SyncRecords } from './sync-record.js';

export const SYNC_QUEUE = 'pbx-sync';

interface SyncJob {
  userId: string;
  force: boolean;
}

/** Outbox entry types after which a user's PBX settings may differ. */
const SYNC_TRIGGERS = new Set(['user.status.changed', 'user.directory.changed']);

export interface SyncOptions {
  queueMode: 'logout' | 'pause';
  attempts: number;
  backoffMs: number;
  concurrency: number;
  reconcileIntervalSeconds: number;
}

class UserBusy extends Error {}

export class SyncPipeline {
  private readonly queue: Queue<SyncJob>;
  private worker: Worker<SyncJob> | undefined;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly deps: {
      redis: Redis;
      keys: Keys;
      store: UserStore;
      catalog: CatalogCache;
      records: SyncRecords;
      adapters: ReadonlyMap<string, PbxAdapter>;
      metrics: Metrics;
      log: Logger;
      clock: () => Date;
      /** All user ids with an extension on a connection (for reconcile). */
      usersOf: (connection: string) => Promise<Map<string, string>>;
    },
    private readonly options: SyncOptions,
  ) {
    this.queue = new Queue<SyncJob>(SYNC_QUEUE, { connection, prefix });
    this.queue.on('error', (err) => deps.log.warn({ err: err.message }, 'sync queue error'));
  }

  /** Outbox handler: one job per committed change that can affect the PBX; its id makes re-dispatch harmless. */
  readonly onOutboxEntry = async (entry: StreamEntry): Promise<void> => {
    if (!SYNC_TRIGGERS.has(entry.type) || !entry.userId) return;
    await this.enqueue(entry.userId, false, `${entry.partition}-${entry.id}`);
  };

  async enqueue(userId: string, force: boolean, dedupe: string = randomUUID()): Promise<void> {
    await this.queue.add(
      'sync',
      { userId, force },
      {
        jobId: `${userId.replace(/:/g, '~')}@${dedupe}`,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs, jitter: 0.5 },
        removeOnComplete: true,
        removeOnFail: 5000,
      },
    );
  }

  /** Forced sync of every user on `connection` (after a reconnect) or on all connections. */
  async reconcile(connection?: string): Promise<number> {
    let count = 0;
    for (const id of this.deps.adapters.keys()) {
      if (connection && id !== connection) continue;
      const users = await this.deps.usersOf(id);
      const jobs = [...users.values()].map((userId) => ({
        name: 'sync',
        data: { userId, force: true },
        opts: {
          jobId: `${userId.replace(/:/g, '~')}@reconcile-${randomUUID()}`,
          attempts: this.options.attempts,
          backoff: { type: 'exponential', delay: this.options.backoffMs, jitter: 0.5 },
          removeOnComplete: true,
          removeOnFail: 5000,
        },
      }));
      for (let i = 0; i < jobs.length; i += 500) await this.queue.addBulk(jobs.slice(i, i + 500));
      count += jobs.length;
    }
    return count;
  }

  async start(): Promise<void> {
    this.worker = new Worker<SyncJob>(
      SYNC_QUEUE,
      (job) => (job.name === 'reconcile' ? this.reconcile().then(() => undefined) : this.sync(job)),
      {
        connection: this.connection,
        prefix: this.prefix,
        concurrency: this.options.concurrency,
      },
    );
    this.worker.on('error', (err) => this.deps.log.warn({ err: err.message }, 'sync worker error'));
    await this.queue.upsertJobScheduler(
      'reconcile',
      { every: this.options.reconcileIntervalSeconds * 1000 },
      { name: 'reconcile', data: { userId: '', force: true } },
    );
  }

  get running(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed');
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  private async sync(job: Job<SyncJob>): Promise<void> {
    const { userId, force } = job.data;
    const token = await this.lock(userId);
    try {
      await this.syncLocked(userId, force, job.attemptsMade + 1 >= this.options.attempts);
    } finally {
      await this.unlock(userId, token);
    }
  }

  private async syncLocked(userId: string, force: boolean, lastAttempt: boolean): Promise<void> {
    const state = await this.deps.store.load(userId);
    const pbx = state?.directory.pbx;
    if (!state || !pbx) return;
    const adapter = this.deps.adapters.get(pbx.connection);
    const previous = await this.deps.records.get(userId);
    if (!adapter)
      return this.fail(
        userId,
        pbx.connection,
        previous,
        new PbxError('PBX_UNKNOWN_VALUE', `no PBX connection "${pbx.connection}" is configured`),
      );
    const target = targetOf(state);
    const desired = desiredSettings(state, await this.deps.catalog.get(), this.options.queueMode);
    const print = fingerprint(target, desired);
    if (!force && previous?.state === 'in-sync' && previous.fingerprint === print) return; // coalesced
    // Recorded before the push: the PBX reports our own writes back while apply() runs, and those echoes must
    // already compare equal to what we are pushing.
    await this.deps.records.put(userId, {
      ...(previous ?? emptyRecord(pbx.connection)),
      state: previous?.state ?? 'pending',
      pushed: desired,
    });
    try {
      await adapter.apply(target, desired);
    } catch (err) {
      return this.onApplyError(userId, pbx.connection, previous, err, lastAttempt);
    }
    const record: StoredSync = {
      state: 'in-sync',
      lastError: null,
      syncedAt: this.now(),
      fingerprint: print,
      pushed: desired,
      connection: pbx.connection,
    };
    await this.deps.records.put(userId, record);
    this.deps.metrics.syncJobs.inc({ pbx: pbx.connection, outcome: 'in-sync' });
  }

  private async onApplyError(
    userId: string,
    connection: string,
    previous: StoredSync | null,
    err: unknown,
    lastAttempt: boolean,
  ): Promise<void> {
    const pbxError = err instanceof PbxError ? err : new PbxError('PBX_PROTOCOL', (err as Error).message);
    if (pbxError.retryable && !lastAttempt) {
      await this.deps.records.put(userId, {
        ...(previous ?? emptyRecord(connection)),
        state: 'pending',
        lastError: errorOf(pbxError),
      });
      this.deps.metrics.syncJobs.inc({ pbx: connection, outcome: 'retry' });
      throw pbxError; // BullMQ retries with exponential backoff and jitter
    }
    await this.fail(userId, connection, previous, pbxError);
    throw new UnrecoverableError(`${pbxError.code}: ${pbxError.message}`);
  }

  private async fail(
    userId: string,
    connection: string,
    previous: StoredSync | null,
    err: PbxError,
  ): Promise<void> {
    const record: StoredSync = {
      ...(previous ?? emptyRecord(connection)),
      state: 'failed',
      lastError: errorOf(err),
      fingerprint: null,
    };
    const isNew = previous?.state !== 'failed' || previous.lastError?.code !== err.code;
    await this.deps.records.put(
      userId,
      record,
      isNew ? { at: this.now(), connection, error: errorOf(err) } : undefined,
    );
    this.deps.metrics.syncJobs.inc({ pbx: connection, outcome: 'failed' });
    this.deps.log.warn({ userId, pbx: connection, code: err.code }, 'pbx sync failed');
  }

  private now(): string {
    return this.deps.clock().toISOString();
  }

  private async lock(userId: string): Promise<string> {
    const token = randomUUID();
    const ok = await this.deps.redis.set(this.deps.keys.syncLock(userId), token, 'PX', 30_000, 'NX');
    if (ok !== 'OK') throw new UserBusy(`user ${userId} is being synced by another worker`); // retried by BullMQ
    return token;
  }

  private async unlock(userId: string, token: string): Promise<void> {
    await runScript(this.deps.redis, 'releaseLock', [this.deps.keys.syncLock(userId)], [token]);
  }
}

function targetOf(state: UserState): PbxTarget {
  const pbx = state.directory.pbx as { extension: string };
  return {
    userId: state.id,
    extension: pbx.extension,
    queues: state.directory.queues,
    mobile: state.directory.mobile ?? undefined,
  };
}

function errorOf(err: PbxError): { code: string; message: string } {
  return { code: err.code, message: err.message };
}

function emptyRecord(connection: string): StoredSync {
  return { state: 'pending', lastError: null, syncedAt: null, fingerprint: null, pushed: null, connection };
}
