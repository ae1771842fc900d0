/**
 * Durable timers (docs/architecture.md, "Dispatcher and timers"): overage, wrap-up and connection-loss timers are BullMQ delayed jobs;
 * the long per-user ones (shift ends, stale activities) are members of a sorted set per partition (timer-set.ts),
 * swept by one loop per daemon, because a BullMQ job per open shift cost ~1 KiB of Redis per user. Both fire the
 * command through UserService.execute, and both are at-least-once: a timer fired twice or late is a no-op.
 * The job id is deterministic (timer key + due time + command), so dispatching the same request twice schedules it
 * once; a rescheduled timer gets a new id and the old job, when it fires, is stale and decide() makes it a no-op.
 * Jobs live in Redis: a timer due while no daemon ran fires as soon as one starts.
 *
 * The connection timer is one job per connection episode, not one per heartbeat: heartbeats while online only
 * record their time (UserStore.touch), and the job, when it fires before the live lastSeen's timeout, moves
 * itself on to that time (same job, new due time and lastSeen) instead of firing.
 */
import { createHash } from 'node:crypto';
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Command, TimerKind } from '../../status/index.js';
import { ApiError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { StreamEntry } from '../outbox/outbox-entry.js';
import type { UserService } from '../users/user-service.js';
import { TIMER_REQUESTED } from '../users/user-store.js';
import type { SetTimer, TimerSet } from './timer-set.js';

export const TIMER_QUEUE = 'timers';

/**
 * Kinds kept in the timer set: hours out and one per user, so most users have one. A second of sweep latency does
 * not matter to them; wrap-up, overage and connection timers stay BullMQ jobs (short, few, and the connection
 * timer moves itself on in place). Jobs of these kinds already in BullMQ (older versions) still fire there.
 */
const SET_KINDS: ReadonlySet<string> = new Set<TimerKind>(['shift', 'offline', 'stale']);

export interface TimerSetOptions {
  /** How often each daemon looks for due members (ms). */
  sweepMs: number;
  /** Members claimed per partition and pass, fired concurrently. */
  batch: number;
  /** A claimed member not removed this long (its daemon died) is due again (ms). */
  claimMs: number;
}

const SET_DEFAULTS: TimerSetOptions = { sweepMs: 1000, batch: 50, claimMs: 60_000 };
/** Failed fires of a set timer are retried like the jobs: exponential from 0.5 s, at most a minute apart. */
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 60_000;
/** Refusals (ApiError) give up after as many attempts as a job has; Redis being away never does. */
const MAX_REFUSALS = 10;

interface TimerJob {
  userId: string;
  dueAt: string;
  command: Command;
}

/**
 * BullMQ job ids may not contain ":"; timer keys do. The id also names the command: two requests with the same key
 * and due time but different commands are different timers. Two calls ending in the same millisecond each start a
 * wrap-up "until" the same instant, for different calls; with key and time alone the second request was dropped as
 * a duplicate of the first, whose job then fired stale, and the wrap-up never ended (found by the fault suite).
 */
export function timerJobId(key: string, dueAt: string, command: Command): string {
  const commandHash = createHash('sha1').update(JSON.stringify(command)).digest('hex').slice(0, 12);
  return `${key.replace(/:/g, '~')}@${Date.parse(dueAt)}@${commandHash}`;
}

export class Timers {
  private readonly queue: Queue<TimerJob>;
  private worker: Worker<TimerJob> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  private inFlight = 0;
  /** Failed attempts of set timers, by member (in memory: another daemon that claims it starts afresh). */
  private readonly failures = new Map<string, { attempts: number; refusals: number }>();
  private readonly setOptions: TimerSetOptions;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly set: TimerSet,
    private readonly partitions: readonly number[],
    private readonly users: UserService,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
    setOptions: Partial<TimerSetOptions> = {},
  ) {
    this.setOptions = { ...SET_DEFAULTS, ...setOptions };
    this.queue = new Queue<TimerJob>(TIMER_QUEUE, { connection, prefix });
    this.queue.on('error', (err) => this.log.warn({ err: err.message }, 'timer queue error'));
  }

  /** Outbox handler: schedules the timers that committed changes requested. */
  readonly onOutboxEntry = async (entry: StreamEntry): Promise<void> => {
    if (entry.type !== TIMER_REQUESTED) return;
    const { key, dueAt, command } = entry.data as { key: string; dueAt: string; command: Command };
    const delay = Math.max(0, Date.parse(dueAt) - this.clock().getTime());
    // Scored in real time like a BullMQ delay; the due time itself is on the daemon's clock (a fake one in tests).
    if (SET_KINDS.has(key.slice(0, key.indexOf(':')))) {
      await this.set.add(entry.userId, key, dueAt, command, Date.now() + delay);
      return;
    }
    await this.queue.add(
      command.type,
      { userId: entry.userId, dueAt, command },
      {
        jobId: timerJobId(key, dueAt, command),
        delay,
        attempts: 10,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: true,
        removeOnFail: 1000,
      },
    );
  };

  /**
   * Makes every delayed timer due now (tests and operators' "fire overdue timers"). The set's members are fired
   * before this returns; only those there when it was called (a fired timer that sets itself again is not
   * fired again).
   */
  async promoteAll(): Promise<void> {
    await this.queue.promoteJobs();
    await Promise.all(
      this.partitions.map((p) => this.sweepPartition(p, '+inf', Number.MAX_SAFE_INTEGER, false)),
    );
  }

  /** BullMQ's counts, with the set's members as delayed and its fires in progress here as active. */
  async counts(): Promise<Record<string, number>> {
    const [counts, members] = await Promise.all([
      this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed'),
      this.set.count(),
    ]);
    return {
      ...counts,
      delayed: (counts.delayed ?? 0) + Math.max(0, members - this.inFlight),
      active: (counts.active ?? 0) + this.inFlight,
    };
  }

  start(concurrency = 50): void {
    this.stopped = false;
    this.scheduleSweep();
    this.worker = new Worker<TimerJob>(TIMER_QUEUE, (job, token) => this.fire(job, token), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency,
    });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'timer worker error'));
  }

  get running(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    await this.sweeping;
    await this.worker?.close();
    await this.queue.close();
  }

  private async fire(job: Job<TimerJob>, token?: string): Promise<void> {
    const { userId, dueAt } = job.data;
    let { command } = job.data;
    if (command.type === 'connectionTimeout') {
      const due = await this.users.connectionDue(userId, command).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'USER_NOT_FOUND') return null;
        throw err;
      });
      if (!due) return;
      if ('fireAt' in due) {
        const dueIso = new Date(due.fireAt).toISOString();
        await job.updateData({ userId, dueAt: dueIso, command: due.command });
        // BullMQ delays in real time; the due time is on the daemon's clock (a fake one in tests).
        await job.moveToDelayed(Date.now() + Math.max(0, due.fireAt - this.clock().getTime()), token);
        throw new DelayedError();
      }
      command = due.command;
    }
    this.metrics.timerLag.observe(Math.max(0, this.clock().getTime() - Date.parse(dueAt)) / 1000);
    try {
      await this.users.execute(userId, command);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'USER_NOT_FOUND') return; // user deleted: nothing to do
      throw err; // Redis away or a lost race: BullMQ retries with backoff
    }
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweepAll().finally(() => {
        this.sweeping = undefined;
        this.scheduleSweep();
      });
    }, this.setOptions.sweepMs);
    this.sweepTimer.unref();
  }

  private async sweepAll(): Promise<void> {
    for (const p of this.partitions) {
      if (this.stopped) return;
      try {
        await this.sweepPartition(p, Date.now(), this.setOptions.batch, true);
      } catch (err) {
        // Redis away: what is due stays in the set for the next pass (one warning per pass, not per partition).
        this.log.warn({ err: (err as Error).message, partition: p }, 'timer sweep failed');
        return;
      }
    }
  }

  /** Claims and fires due members of one partition; `repeat`: batch after batch while a whole one was due. */
  private async sweepPartition(
    p: number,
    nowMs: number | '+inf',
    limit: number,
    repeat: boolean,
  ): Promise<void> {
    for (;;) {
      const claimed = await this.set.claim(p, nowMs, limit, Date.now() + this.setOptions.claimMs);
      this.inFlight += claimed.length;
      await Promise.all(claimed.map((timer) => this.fireFromSet(timer).finally(() => (this.inFlight -= 1))));
      if (!repeat || claimed.length < limit || this.stopped) return;
    }
  }

  /** Fires one claimed member; removes it once its command committed (or the user is gone), else retries. */
  private async fireFromSet(timer: SetTimer): Promise<void> {
    const { userId, dueAt, command, member } = timer;
    this.metrics.timerLag.observe(Math.max(0, this.clock().getTime() - Date.parse(dueAt)) / 1000);
    try {
      await this.users.execute(userId, command);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'USER_NOT_FOUND')) {
        await this.retryLater(timer, err);
        return;
      }
    }
    this.failures.delete(member);
    await this.set.remove(timer).catch((err: unknown) => {
      // Left claimed: it fires again when the claim runs out, and is a no-op then.
      this.log.warn({ err: (err as Error).message, userId }, 'timer not removed after firing');
    });
  }

  private async retryLater(timer: SetTimer, err: unknown): Promise<void> {
    const failed = this.failures.get(timer.member) ?? { attempts: 0, refusals: 0 };
    failed.attempts += 1;
    if (err instanceof ApiError) failed.refusals += 1;
    const log = { err: (err as Error).message, userId: timer.userId, command: timer.command.type };
    if (failed.refusals >= MAX_REFUSALS) {
      this.failures.delete(timer.member);
      this.log.error({ ...log, attempts: failed.attempts }, 'timer failed; given up');
      await this.set.remove(timer).catch(() => undefined);
      return;
    }
    if (this.failures.size > 10_000) this.failures.clear(); // members another daemon finished meanwhile
    this.failures.set(timer.member, failed);
    this.log.warn({ ...log, attempts: failed.attempts }, 'timer failed; retrying');
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failed.attempts - 1));
    // Redis away: the claim runs out instead, and it is due again then.
    await this.set.postpone(timer, Date.now() + delay).catch(() => undefined);
  }
}
