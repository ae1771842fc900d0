/**
 * Level-triggered PBX sync (docs/architecture.md, "PBX sync"). A sync reads the user's *current* state, computes the desired
 * settings and has the adapter make the PBX match. Bursts coalesce: a sync whose target and settings equal what
 * was last applied successfully returns without touching the PBX, so ten quick changes cost one push.
 * Committed changes reach the sync without a job: the daemon holding a connection's lease reads the outbox itself
 * (OutboxSyncConsumer: coalesced per user in memory, acknowledged once the PBX has it). BullMQ keeps what needs a
 * durable delay: the retry with backoff of a sync that failed, reverts of phone-side changes, and the reconcile
 * (periodic, and after every adapter reconnect), whose jobs pass `force` and always ask the adapter, which repairs
 * drift made on the PBX side. Each PBX connection has its own queue, worked only by the lease holder (the one with a
 * live adapter); one user is synced by one worker at a time (a short Redis lock).
 */
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PbxError, type PbxAdapter, type PbxTarget } from '../../adapters/pbx.js';
import type { UserState } from '../../status/index.js';
import type { CatalogCache } from '../catalog/catalog-cache.js';
import type { Metrics } from '../metrics.js';
import type { Keys } from '../redis/keys.js';
import type { StreamEntry } from '../outbox/outbox-entry.js';
import type { PipelineResult } from '../redis/cluster.js';
import { runScript } from '../redis/scripts.js';
import { runLimited } from '../run-limited.js';
import type { UserStore } from '../users/user-store.js';
import { OutboxSyncConsumer, syncBacklog } from './outbox-consumer.js';
import { desiredOptionsOf, desiredSettings, fingerprint, type DesiredOptions } from './desired.js';
import type { RevertNotice, RevertNotices } from './revert-notices.js';
import { unsupportedSettings } from './unsupported.js';
import {
  parseSyncRecord,
  RECORD_FIELDS,
  type StoredSync,
  type SyncBasis,
  type SyncDetails,
  type SyncRecords,
} from './sync-record.js';

/** BullMQ queue of one connection (queue names may not contain ":"). */
export const syncQueueName = (connection: string): string => `pbx-sync-${connection}`;

interface SyncJob {
  userId: string;
  force: boolean;
  /** A forced sync that puts back a phone-side change: published once the PBX write actually happened. */
  revert?: RevertNotice;
}

/**
 * Outbox entry types after which a user's PBX settings may differ: an upcoming status routes at once
 * (sync.routeOnUpcoming), and an activity's end starts the wrap-up pause that the wrap-up's end lifts.
 */
export const SYNC_TRIGGERS: ReadonlySet<string> = new Set([
  'user.status.changed',
  'user.directory.changed',
  'user.upcoming.changed',
  'user.activity.ended',
  'user.wrap-up.ended',
]);

export interface SyncOptions {
  /** Deprecated global queue handling (per status type now). */
  queueMode?: 'logout' | 'pause' | undefined;
  routeOnUpcoming: boolean;
  pauseDuringWrapUp: boolean;
  wrapUpPauseReason: string;
  attempts: number;
  backoffMs: number;
  concurrency: number;
  reconcileIntervalSeconds: number;
}

class UserBusy extends Error {}

/**
 * Users per batch of a reconcile, and batches in flight (each user's reads and writes are AMI actions in flight,
 * ~11 per user). After a reconnect or a reload the PBX state is unknown and speed matters; the periodic one only
 * looks for drift, so it keeps a quarter of the actions in flight and leaves Asterisk (AstDB reads) its headroom.
 */
const RECONCILE_BATCH = 100;
export type ReconcileCause = 'reconnect' | 'periodic';
const RECONCILE_LANES: Record<ReconcileCause, number> = { reconnect: 4, periodic: 1 };

/** A connection's running reconcile, and the one asked for while it runs. */
interface ReconcileRun {
  done: Promise<number>;
  again?: { cause: ReconcileCause; done: Promise<number> };
}

/** A user's sync lock, held, with what was read right after taking it. */
interface Locked {
  state: UserState | null;
  previous: StoredSync | null;
  release: () => Promise<void>;
}

export interface SyncCounts {
  waiting: number;
  delayed: number;
  active: number;
  failed: number;
}

export class SyncPipeline {
  private readonly queues = new Map<string, Queue<SyncJob>>();
  private readonly workers = new Map<string, Worker<SyncJob>>();
  private readonly consumers = new Map<string, OutboxSyncConsumer>();
  private readonly reconciles = new Map<string, ReconcileRun>();

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly deps: {
      redis: Redis;
      keys: Keys;
      store: UserStore;
      catalog: CatalogCache;
      records: SyncRecords;
      /** The adapter of a connection held by this daemon, if any. */
      adapterOf: (connection: string) => PbxAdapter | undefined;
      metrics: Metrics;
      log: Logger;
      clock: () => Date;
      /** All user ids with an extension on a connection (for reconcile). */
      usersOf: (connection: string) => Promise<Map<string, string>>;
      notices: Pick<RevertNotices, 'publish'>;
      /** A dedicated (blocking) Redis client for a connection's outbox consumer, not yet connected. */
      blockingClient: (name: string) => Redis;
      /** This daemon's consumer name in the connection's outbox group. */
      consumerName: string;
    },
    private readonly connections: readonly string[],
    private readonly options: SyncOptions,
  ) {
    for (const id of connections) {
      const queue = new Queue<SyncJob>(syncQueueName(id), { connection, prefix });
      queue.on('error', (err) => deps.log.warn({ pbx: id, err: err.message }, 'sync queue error'));
      this.queues.set(id, queue);
    }
  }

  /**
   * Outbox handler (every daemon's dispatcher): a change of a user on a connection this configuration does not have
   * is recorded as a failed sync. Changes on configured connections are read by their holder's outbox consumer.
   */
  readonly onOutboxEntry = async (entry: StreamEntry): Promise<void> => {
    if (!SYNC_TRIGGERS.has(entry.type) || !entry.userId || !entry.pbxConnection) return;
    if (!this.queues.has(entry.pbxConnection))
      await this.unknownConnection(entry.userId, entry.pbxConnection);
  };

  /**
   * Puts back a phone-side change the bridge does not follow: a forced sync of the user that publishes `notice` only
   * if it really wrote one of the changed settings (a late echo of an earlier push finds nothing to revert).
   */
  async revert(notice: RevertNotice): Promise<void> {
    const queue = this.queues.get(notice.connection);
    if (!queue) return;
    const data: SyncJob = { userId: notice.userId, force: true, revert: notice };
    await queue.add('sync', data, this.jobOptions(notice.userId, randomUUID()));
  }

  async enqueue(
    connection: string,
    userId: string,
    force: boolean,
    dedupe: string = randomUUID(),
    retry?: { delayMs: number; attempts: number },
  ): Promise<void> {
    const queue = this.queues.get(connection);
    if (!queue) return this.unknownConnection(userId, connection);
    // Perf: coalesce in the queue, not only in the job. While a user's change job waits, later changes add nothing
    // (the waiting job will read the newest state); while one runs, one more is kept to run after it. Without this
    // every committed change became its own job (bench/: ~40,000 jobs after 8 s of changes to 1,000 users).
    // Forced (reconcile) jobs are never folded into a change job, which might skip the PBX read.
    const coalesce = force
      ? {}
      : { deduplication: { id: `sync~${userId.replace(/:/g, '~')}`, keepLastIfActive: true } };
    const later = retry ? { delay: retry.delayMs, attempts: retry.attempts } : {};
    await queue.add('sync', { userId, force }, { ...this.jobOptions(userId, dedupe), ...coalesce, ...later });
  }

  private jobOptions(userId: string, dedupe: string) {
    return {
      jobId: `${userId.replace(/:/g, '~')}@${dedupe}`,
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs, jitter: 0.5 },
      removeOnComplete: true,
      removeOnFail: 5000,
    };
  }

  /**
   * Forced sync of every user on `connection` (after a reconnect, periodically, on a reload): the users are verified
   * here, in batches that take their locks and read their states in three pipelined writes (like the outbox
   * consumer's), with a few batches in flight, instead of one BullMQ job each (issue 15: 10,000 jobs cost several
   * Redis scripts apiece and ran `sync.concurrency` at a time; a reconcile of 10,000 agents took 15–25 s).
   * A reconcile is level-triggered, so one cut short (lease lost, crash) is redone by the next holder's; only a user
   * that cannot be verified now (synced by another worker, a retryable PBX error) gets a durable forced job with
   * backoff. One runs per connection at a time; asked again meanwhile, it runs once more when done (the later ask
   * may follow a reconnect whose PBX state the running one has partly missed). Resolves with the number of users
   * when the run it started or joined has finished.
   */
  reconcile(connection: string, cause: ReconcileCause = 'reconnect'): Promise<number> {
    if (!this.queues.has(connection)) return Promise.resolve(0);
    const running = this.reconciles.get(connection);
    if (running) {
      // The run after this one goes at the more urgent pace of those asked for.
      if (running.again?.cause === 'periodic' && cause === 'reconnect') running.again.cause = cause;
      if (!running.again) {
        const again: { cause: ReconcileCause; done: Promise<number> } = { cause, done: running.done };
        again.done = running.done.then(() => this.reconcile(connection, again.cause));
        running.again = again;
      }
      return running.again.done;
    }
    const run: ReconcileRun = {
      done: this.reconcileAll(connection, cause).finally(() => {
        if (this.reconciles.get(connection) === run) this.reconciles.delete(connection);
      }),
    };
    this.reconciles.set(connection, run);
    return run.done;
  }

  private async reconcileAll(connection: string, cause: ReconcileCause): Promise<number> {
    const users = [...(await this.deps.usersOf(connection)).values()];
    const batches: string[][] = [];
    for (let i = 0; i < users.length; i += RECONCILE_BATCH) batches.push(users.slice(i, i + RECONCILE_BATCH));
    await runLimited(batches, RECONCILE_LANES[cause], async (batch) => {
      // The lease moved away, or the link dropped: the new holder's reconcile, or the one after the reconnect,
      // redoes it; a forced job for every user left would only verify each twice.
      if (!this.deps.adapterOf(connection)?.status().connected) return;
      await Promise.all(this.verifyMany(connection, batch));
    });
    return users.length;
  }

  /** A reconcile's forced sync of a batch of users; a user that could not be verified now gets a forced job. */
  private verifyMany(connection: string, userIds: readonly string[]): Array<Promise<void>> {
    const locked = this.lockAndReadMany(userIds).catch((err: unknown) => err as Error);
    return userIds.map(async (userId, i) => {
      const all = await locked;
      const lock = all instanceof Error ? all : all[i];
      try {
        if (lock === undefined || lock instanceof Error) throw lock ?? new Error('no lock outcome');
        try {
          await this.syncLocked(userId, true, false, lock);
          return;
        } finally {
          await lock.release().catch(() => undefined);
        }
      } catch (err) {
        if (err instanceof UnrecoverableError) return; // recorded as failed
        // Busy, a retryable PBX error (recorded as retrying) or Redis away: verify it again later, durably.
        await this.enqueue(connection, userId, true, `reconcile-${randomUUID()}`, {
          delayMs: this.options.backoffMs,
          attempts: this.options.attempts,
        }).catch((e: unknown) =>
          this.deps.log.warn(
            { userId, pbx: connection, err: (e as Error).message },
            'reconcile retry not queued',
          ),
        );
      }
    });
  }

  /** Starts working a connection's queue; called when this daemon takes the connection's lease. */
  async startWorker(connection: string): Promise<void> {
    const queue = this.queues.get(connection);
    if (!queue || this.workers.has(connection)) return;
    this.deps.records.recent.forgetConnection(connection); // pushes of an earlier tenure may have been overtaken
    const worker = new Worker<SyncJob>(
      syncQueueName(connection),
      (job) =>
        job.name === 'reconcile'
          ? this.reconcile(connection, 'periodic').then(() => undefined)
          : this.sync(job),
      { connection: this.connection, prefix: this.prefix, concurrency: this.options.concurrency },
    );
    worker.on('error', (err) =>
      this.deps.log.warn({ pbx: connection, err: err.message }, 'sync worker error'),
    );
    this.workers.set(connection, worker);
    const consumer = new OutboxSyncConsumer(
      this.deps.blockingClient(`sync-outbox-${connection}`),
      this.deps.redis,
      this.deps.keys,
      connection,
      this.deps.consumerName,
      {
        triggers: SYNC_TRIGGERS,
        connectionOf: async (userId) => (await this.deps.store.load(userId))?.directory.pbx?.connection,
      },
      (userIds) => this.syncChanges(connection, userIds),
      this.deps.log,
      { concurrency: this.options.concurrency },
    );
    this.consumers.set(connection, consumer);
    consumer.start();
    await queue.upsertJobScheduler(
      'reconcile',
      { every: this.options.reconcileIntervalSeconds * 1000 },
      { name: 'reconcile', data: { userId: '', force: true } },
    );
  }

  /**
   * Stops working a connection's queue (lease lost or daemon stopping); waiting jobs stay for the next holder.
   * `force` does not wait for running jobs: when the lease was lost because Redis went away, a graceful close
   * never resolves (BullMQ's main loop stays blocked even after Redis returns), and the lease loop awaiting it
   * would never take the connection again. Running jobs are then abandoned; sync jobs are level-triggered, so the
   * next holder's reconcile redoes them.
   */
  async stopWorker(connection: string, force = false): Promise<void> {
    const worker = this.workers.get(connection);
    const consumer = this.consumers.get(connection);
    this.workers.delete(connection);
    this.consumers.delete(connection);
    this.deps.records.recent.forgetConnection(connection);
    await consumer?.stop();
    await worker?.close(force);
  }

  /** Workers are started per held connection; "running" means none of them has died. */
  get running(): boolean {
    return (
      [...this.workers.values()].every((w) => w.isRunning()) &&
      [...this.consumers.values()].every((c) => c.isRunning)
    );
  }

  /** Sync backlog of every connection together, or of one. */
  async counts(connection?: string): Promise<SyncCounts> {
    const total: SyncCounts = { waiting: 0, delayed: 0, active: 0, failed: 0 };
    for (const [id, queue] of this.queues) {
      if (connection !== undefined && id !== connection) continue;
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed');
      for (const k of Object.keys(total) as Array<keyof SyncCounts>) total[k] += counts[k] ?? 0;
      // Committed changes not yet synced wait in the connection's outbox group, not in the queue.
      total.waiting += await syncBacklog(this.deps.redis, this.deps.keys, id);
    }
    return total;
  }

  async stop(): Promise<void> {
    for (const id of [...this.workers.keys()]) await this.stopWorker(id);
    for (const queue of this.queues.values()) await queue.close();
  }

  private async unknownConnection(userId: string, connection: string): Promise<void> {
    const previous = await this.deps.records.get(userId);
    await this.fail(
      userId,
      connection,
      previous,
      null,
      new PbxError('PBX_UNKNOWN_VALUE', `no PBX connection "${connection}" is configured`),
    );
  }

  /**
   * Committed changes of a batch of users read by the connection's outbox consumer, one outcome per user.
   * Perf: the batch takes its locks and reads its states and sync records in three pipelined writes, not three
   * round trips per user; then each user goes on by itself.
   */
  private syncChanges(connection: string, userIds: readonly string[]): Array<Promise<void>> {
    const locked = this.lockAndReadMany(userIds);
    return userIds.map((userId, i) => locked.then((all) => this.syncChange(connection, userId, all[i])));
  }

  /**
   * A committed change of one user. Resolving acknowledges the change's entries: the PBX has it, the failure is
   * recorded for good, or a durable BullMQ job retries it with backoff. Rejecting (Redis away) leaves them pending,
   * to be claimed again.
   */
  private async syncChange(
    connection: string,
    userId: string,
    lock: Locked | Error | undefined,
  ): Promise<void> {
    const lastAttempt = this.options.attempts <= 1;
    const retry = { delayMs: this.options.backoffMs, attempts: Math.max(1, this.options.attempts - 1) };
    if (lock === undefined) throw new Error('no lock outcome');
    if (lock instanceof Error) {
      if (!(lock instanceof UserBusy)) throw lock;
      // Another worker (a reconcile job, or the previous holder) syncs the user right now; it may have read the
      // state from before this change, so sync again shortly.
      return this.enqueue(connection, userId, false, randomUUID(), retry);
    }
    const locked = lock;
    let again = false;
    try {
      await this.syncLocked(userId, false, lastAttempt, locked);
    } catch (err) {
      if (err instanceof UnrecoverableError) return; // recorded as failed
      if (!(err instanceof PbxError && err.retryable)) throw err;
      again = true;
    } finally {
      await locked.release().catch(() => undefined);
    }
    // After the unlock: the retry must not find the user locked by this very attempt.
    if (again) await this.enqueue(connection, userId, false, randomUUID(), retry);
  }

  private async sync(job: Job<SyncJob>): Promise<void> {
    const { userId, force, revert } = job.data;
    const locked = await this.lockAndRead(userId);
    try {
      // A retry of a change carries the attempts left after the outbox consumer's own (first) one.
      const attempts = job.opts.attempts ?? this.options.attempts;
      const changed = await this.syncLocked(userId, force, job.attemptsMade + 1 >= attempts, locked);
      if (revert && changed.some((setting) => revert.settings.includes(setting)))
        await this.deps.notices.publish(revert);
    } finally {
      await locked.release();
    }
  }

  /** The settings written (ApplyResult.changed); none when coalesced, skipped or failed. */
  private async syncLocked(
    userId: string,
    force: boolean,
    lastAttempt: boolean,
    { state, previous, release }: Locked,
  ): Promise<string[]> {
    const pbx = state?.directory.pbx;
    if (!state || !pbx) return [];
    // The lease moved away while this job waited: fail over to the retry (the new holder works the queue).
    const adapter = this.deps.adapterOf(pbx.connection);
    if (!adapter)
      throw new PbxError('PBX_UNAVAILABLE', `connection "${pbx.connection}" is not held by this daemon`);

    const target = targetOf(state);
    const desired = desiredSettings(state, await this.deps.catalog.get(), this.desiredOptions, this.now());
    const unsupported = unsupportedSettings(adapter.capabilities(), target, desired);
    const basis: SyncBasis = {
      fingerprint: fingerprint(pbx.connection, target, desired),
      version: state.version,
    };
    if (!force && isApplied(previous, basis.fingerprint)) return []; // coalesced
    // Recorded before the push: the PBX reports our own writes back while apply() runs, and those echoes must
    // already compare equal to what we are pushing.
    const details = { ...(previous ?? emptyDetails(pbx.connection)), connection: pbx.connection };
    await this.deps.records.markPushing(userId, { ...details, pushed: desired }, basis);
    this.deps.records.recent.record(pbx.connection, pbx.extension, { userId, pushed: desired });
    let changed: string[];
    try {
      ({ changed } = await adapter.apply(target, desired, { verify: force })); // forced: read the PBX, trust no cache
    } catch (err) {
      this.deps.records.recent.forget(pbx.connection, pbx.extension); // the record goes back to the last success
      await this.onApplyError(userId, pbx.connection, previous, basis, err, lastAttempt);
      return [];
    }
    const applied: SyncDetails = {
      lastError: null,
      syncedAt: this.now(),
      unsupported,
      fingerprint: basis.fingerprint,
      pushed: desired,
      connection: pbx.connection,
    };
    // Perf: the record and the unlock leave in one write (same connection, so Redis runs them in this order).
    const [outcome] = await Promise.all([this.deps.records.markApplied(userId, applied, basis), release()]);
    // "pending": a newer commit wants other settings meanwhile; its own sync follows.
    this.deps.metrics.syncJobs.inc({
      pbx: pbx.connection,
      outcome: outcome === 'pending' ? 'superseded' : 'in-sync',
    });
    return changed;
  }

  private async onApplyError(
    userId: string,
    connection: string,
    previous: StoredSync | null,
    basis: SyncBasis,
    err: unknown,
    lastAttempt: boolean,
  ): Promise<void> {
    const pbxError = err instanceof PbxError ? err : new PbxError('PBX_PROTOCOL', (err as Error).message);
    if (pbxError.retryable && !lastAttempt) {
      await this.deps.records.markRetrying(
        userId,
        { ...(previous ?? emptyDetails(connection)), connection, lastError: errorOf(pbxError) },
        basis,
      );
      this.deps.metrics.syncJobs.inc({ pbx: connection, outcome: 'retry' });
      throw pbxError; // BullMQ retries with exponential backoff and jitter
    }
    await this.fail(userId, connection, previous, basis, pbxError);
    throw new UnrecoverableError(`${pbxError.code}: ${pbxError.message}`);
  }

  private async fail(
    userId: string,
    connection: string,
    previous: StoredSync | null,
    basis: SyncBasis | null,
    err: PbxError,
  ): Promise<void> {
    const details: SyncDetails = {
      ...(previous ?? emptyDetails(connection)),
      connection,
      lastError: errorOf(err),
      fingerprint: null,
    };
    const isNew = previous?.state !== 'failed' || previous.lastError?.code !== err.code;
    await this.deps.records.markFailed(
      userId,
      details,
      basis,
      isNew ? { at: this.now(), connection, error: errorOf(err) } : undefined,
    );
    this.deps.metrics.syncJobs.inc({ pbx: connection, outcome: 'failed' });
    this.deps.log.warn({ userId, pbx: connection, code: err.code }, 'pbx sync failed');
  }

  private now(): string {
    return this.deps.clock().toISOString();
  }

  private get desiredOptions(): DesiredOptions {
    return desiredOptionsOf(this.options);
  }

  private async lockAndRead(userId: string): Promise<Locked> {
    const [lock] = await this.lockAndReadMany([userId]);
    if (lock instanceof Error || lock === undefined) throw lock ?? new Error('no lock outcome');
    return lock;
  }

  /**
   * Takes each user's sync lock and reads the states and sync records right after, one outcome per user (UserBusy
   * when another worker holds the lock). On one server the locks and then the reads (one HMGET per user: state
   * and record) leave in one write on one connection, so Redis runs the reads after the locks are taken; in a
   * cluster, where they may go to different nodes, the reads (pipelines per partition) wait for the locks.
   * `release` is idempotent, so the success path can send it together with the final record. Throws when Redis
   * fails the batch as a whole.
   */
  private async lockAndReadMany(userIds: readonly string[]): Promise<Array<Locked | Error>> {
    const { redis, keys, store, records } = this.deps;
    const lockKeys = userIds.map((id) => keys.syncLock(id));
    const tokens = userIds.map(() => randomUUID());
    let locks: Promise<PipelineResult | null>;
    let reads: Promise<[Array<UserState | null>, Array<StoredSync | null>]>;
    if (redis.isCluster) {
      const locking = redis.pipeline();
      for (const [i, key] of lockKeys.entries()) locking.set(key, tokens[i] as string, 'PX', 30_000, 'NX');
      locks = locking.exec();
      await locks.catch(() => undefined);
      reads = Promise.all([store.loadMany([...userIds]), records.getMany(userIds)]);
    } else {
      // Perf: plain commands issued in one turn on the auto-pipelining client: the locks, then the reads, leave in
      // the turn's one write (three pipelines of their own were three writes per batch: bench/ deferred syncs one
      // or two users at a time). One connection, so Redis still runs the reads after the locks.
      locks = Promise.all(
        lockKeys.map((key, i) =>
          redis.set(key, tokens[i] as string, 'PX', 30_000, 'NX').then(
            (ok): [Error | null, unknown] => [null, ok],
            (err: unknown): [Error | null, unknown] => [err as Error, null],
          ),
        ),
      );
      // One HMGET per user: the state and its sync record live in the same hash (lastSeen is not needed here).
      const loaded = Promise.all(userIds.map((id) => store.loadWith(id, RECORD_FIELDS)));
      reads = loaded.then((all) => [all.map((l) => l.state), all.map((l) => parseSyncRecord(l.fields))]);
    }
    const [lockReplies, read] = await Promise.allSettled([locks, reads]);
    if (lockReplies.status === 'rejected') {
      reads.catch(() => undefined);
      throw lockReplies.reason;
    }
    const releases = lockKeys.map((lockKey, i) => {
      let released: Promise<void> | undefined;
      return (): Promise<void> =>
        (released ??= runScript(redis, 'releaseLock', [lockKey], [tokens[i] as string]).then(
          () => undefined,
        ));
    });
    const outcomes = userIds.map((userId, i): Error | (() => Promise<void>) => {
      const [err, ok] = lockReplies.value?.[i] ?? [new Error('no reply'), null];
      if (err) return err;
      if (ok !== 'OK') return new UserBusy(`user ${userId} is being synced by another worker`); // retried later
      return releases[i] as () => Promise<void>;
    });
    if (read.status === 'rejected') {
      await Promise.all(outcomes.map((o) => (o instanceof Error ? undefined : o().catch(() => undefined))));
      throw read.reason;
    }
    const [states, previous] = read.value;
    return outcomes.map((o, i) =>
      o instanceof Error ? o : { state: states[i] ?? null, previous: previous[i] ?? null, release: o },
    );
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

/** Nothing applied yet, nothing for coalescing to go by: the PBX is asked. */
function emptyDetails(connection: string): SyncDetails {
  return { lastError: null, syncedAt: null, unsupported: [], fingerprint: null, pushed: null, connection };
}

/** Already applied and nothing on its way: a change job has nothing to push (coalesced). */
function isApplied(previous: StoredSync | null, print: string): boolean {
  return previous?.state === 'in-sync' && previous.fingerprint === print;
}
