/**
 * Durable timers (docs/architecture.md, "Dispatcher and timers"): overage, wrap-up, connection-loss, shift-end and
 * stale-activity timers live in one sorted set per partition (`{p<N>}:timers`, score = due time in ms on the
 * daemon's clock, member = user, kind and command: timer-member.ts). The commit script writes them with the change
 * that requests them, so none is lost between the two, and the same timer requested again is one member.
 *
 * Every daemon sweeps every partition about once a second, and also wakes at the earliest due time it knows of
 * (its own commits, and each sweep's earliest score left). A sweep claims due members atomically (claimTimers:
 * each is scored to now + claim lease, so no other daemon fires it meanwhile), executes each command, and removes
 * the member only after the command committed and only if the claim is still its (finishTimer). A timer whose
 * handling failed (Redis away, races lost) is due again when its lease ends: a retry. After MANY_FAILURES
 * consecutive failures on this daemon it is logged as an error and put off by POISON_DELAY_MS per attempt, but never
 * dropped (a dropped timer is a wrap-up that never ends or a shift that never closes). A refused command (a 4xx
 * other than a version conflict: the state moved on so that the command makes no sense) and a deleted user
 * (USER_NOT_FOUND: stale members of a deleted user are dropped when they fire) remove the member.
 *
 * A rescheduled timer whose command changed is another member; the old one, when it fires, is stale and decide()
 * makes it a no-op. The connection timer is one member per connection episode, not one per heartbeat: heartbeats
 * while online only record their time (UserStore.touch), and the member, when it fires before the live lastSeen's
 * timeout, is replaced atomically by one with that lastSeen, due at that time, instead of firing.
 *
 * Upgrade from script version 5 (BullMQ delayed jobs, queue "timers"): `timer.requested` entries still in a stream
 * are scheduled into the set by the outbox dispatcher, and jobs left in the old queue are moved into the set at
 * start and once a minute while any remain.
 */
import { runLimited } from '../run-limited.js';
import type { ConnectionOptions } from 'bullmq';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Command } from '../../status/index.js';
import { ApiError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { StreamEntry } from '../outbox/outbox-entry.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import type { UserService } from '../users/user-service.js';
import { TIMER_REQUESTED } from '../users/user-store.js';
import { decodeTimer, encodeTimer, kindOfKey, userOfMember, type Timer } from './timer-member.js';

/** The BullMQ queue of script version 5 and before: only drained into the timer set now. */
export const LEGACY_TIMER_QUEUE = 'timers';

const MANY_FAILURES = 10;
const POISON_DELAY_MS = 5 * 60_000;
/** A wake-up further away than this is left to the sweeps (they see the earliest score on every pass). */
const WAKE_HORIZON_MS = 5 * 60_000;
const LEGACY_CHECK_MS = 60_000;

export interface TimerOptions {
  /** How often every partition is swept (ms). */
  sweepMs?: number;
  /** How long a claimed timer is kept from other daemons; a failed one is due again after it (ms). */
  claimLeaseMs?: number;
  /** The most timers claimed from one partition at once. */
  batch?: number;
  /** Timers of one partition executed at once. */
  concurrency?: number;
}

export class Timers {
  private readonly legacy: Queue;
  private readonly sweepMs: number;
  private readonly claimLeaseMs: number;
  private readonly batch: number;
  private readonly concurrency: number;
  private started = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private sweeping: Promise<void> | undefined;
  private again = false;
  private promoteNext = false;
  private active = 0;
  private sweepFailing = false;
  private legacyTimer: NodeJS.Timeout | undefined;
  private migrating: Promise<void> | undefined;
  /** Consecutive failed attempts per member on this daemon (cleared on success; bounded). */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly users: UserService,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
    legacy: { connection: ConnectionOptions; prefix: string },
    options: TimerOptions = {},
  ) {
    this.sweepMs = options.sweepMs ?? 1_000;
    this.claimLeaseMs = options.claimLeaseMs ?? 5_000;
    this.batch = options.batch ?? 100;
    this.concurrency = options.concurrency ?? 20;
    this.legacy = new Queue(LEGACY_TIMER_QUEUE, legacy);
    this.legacy.on('error', (err) => this.log.warn({ err: err.message }, 'legacy timer queue error'));
  }

  /**
   * Outbox handler for entries of script version 5 and before (`timer.requested`): schedules them into the set. An
   * existing member keeps the earlier due time (a timer that fires early sets itself again; one that fires late
   * is late).
   */
  readonly onOutboxEntry = async (entry: StreamEntry): Promise<void> => {
    if (entry.type !== TIMER_REQUESTED) return;
    const { key, dueAt, command } = entry.data as { key?: unknown; dueAt?: unknown; command?: Command };
    const kind = typeof key === 'string' ? kindOfKey(key) : null;
    if (!kind || typeof dueAt !== 'string' || typeof command?.type !== 'string') {
      this.log.warn({ key, userId: entry.userId, id: entry.id }, 'unreadable timer request ignored');
      return;
    }
    await this.scheduleLegacy({ userId: entry.userId, kind, command }, Date.parse(dueAt));
  };

  /** Called with the due times (ms) of timers just committed: wakes this daemon at the earliest. */
  readonly noteDue = (dueMs: number[]): void => {
    for (const ms of dueMs) this.wakeFor(ms);
  };

  /**
   * Fires every timer not claimed right now, due or not, in due order (tests and operators' "fire overdue timers");
   * resolves once they have been handled. One not due yet is early: decide() makes it a no-op or sets it again.
   */
  async promoteAll(): Promise<void> {
    this.promoteNext = true;
    await this.sweep();
  }

  /**
   * delayed: not due yet (including those claimed, whose score is their lease end), waiting: due and not claimed,
   * active: being executed by this daemon, failed: always 0 (a timer is retried, never given up).
   */
  async counts(): Promise<Record<string, number>> {
    const now = this.clock().getTime();
    const perPartition = await Promise.all(
      this.keys
        .allPartitions()
        .map((p) =>
          Promise.all([
            this.redis.zcount(this.keys.timers(p), '-inf', now),
            this.redis.zcount(this.keys.timers(p), `(${now}`, '+inf'),
          ]),
        ),
    );
    const waiting = perPartition.reduce((sum, [w]) => sum + w, 0);
    const later = perPartition.reduce((sum, [, d]) => sum + d, 0);
    return { delayed: Math.max(0, later - this.active), waiting, active: this.active, failed: 0 };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.sweepTimer = setInterval(() => void this.sweep(), this.sweepMs);
    this.sweepTimer.unref();
    void this.sweep();
    // Apart from the sweeps: BullMQ's connection waits while Redis is away, and must not hold them up.
    const migrate = () => {
      this.migrating ??= this.migrateLegacy().finally(() => {
        this.migrating = undefined;
      });
    };
    this.legacyTimer = setInterval(migrate, LEGACY_CHECK_MS);
    this.legacyTimer.unref();
    migrate();
  }

  get running(): boolean {
    return this.started;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.sweepTimer);
    clearInterval(this.legacyTimer);
    clearTimeout(this.wakeTimer);
    this.wakeAt = Infinity;
    await this.sweeping;
    // Not waiting for a legacy migration: BullMQ's connection waits while Redis is away (it is harmless to leave).
    await this.legacy.close();
  }

  /** One pass over every partition; a call during a pass asks for one more pass right after. */
  private sweep(): Promise<void> {
    if (this.sweeping) {
      this.again = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      do {
        this.again = false;
        const all = this.promoteNext;
        this.promoteNext = false;
        await Promise.all(this.keys.allPartitions().map((p) => this.sweepPartition(p, all)));
      } while ((this.again && this.started) || this.promoteNext);
    })().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  /** `all`: every timer not claimed right now, due or not (promoteAll). */
  private async sweepPartition(partition: number, all: boolean): Promise<void> {
    const key = this.keys.timers(partition);
    for (;;) {
      let reply: string[];
      try {
        reply = (await runScript(
          this.redis,
          'claimTimers',
          [key],
          [this.clock().getTime(), this.claimLeaseMs, this.batch, all ? 'all' : ''],
        )) as string[];
        if (this.sweepFailing) this.log.info('timer sweep works again');
        this.sweepFailing = false;
      } catch (err) {
        // Redis away: the next sweep tries again; logged once per outage, not once a second per partition.
        if (!this.sweepFailing) this.log.warn({ err: errorText(err) }, 'timer sweep failed');
        this.sweepFailing = true;
        return;
      }
      const [lease = '', next = '', ...claimed] = reply;
      if (next !== '') this.wakeFor(Number(next));
      const items: Array<{ member: string; due: number }> = [];
      for (let i = 0; i + 1 < claimed.length; i += 2) {
        items.push({ member: claimed[i] as string, due: Number(claimed[i + 1]) });
      }
      this.active += items.length;
      // One user's timers one after the other, in due order (they would only race each other's commits).
      const byUser = new Map<string, typeof items>();
      for (const item of items) {
        const user = userOfMember(item.member);
        const list = byUser.get(user);
        if (list) list.push(item);
        else byUser.set(user, [item]);
      }
      // fire() handles its own failures (a retry at the lease end); nothing here may stop the other users' timers.
      await runLimited([...byUser.values()], this.concurrency, async (list) => {
        for (const item of list) await this.fire(key, item.member, item.due, lease);
      }).catch(() => undefined);
      if (items.length < this.batch || !this.started) return;
    }
  }

  /** Handles one claimed member (counted in `active` from its claim on). */
  private async fire(key: string, member: string, due: number, lease: string): Promise<void> {
    let timer: Timer;
    try {
      timer = decodeTimer(member);
    } catch (err) {
      this.active--;
      this.log.error({ member, err: errorText(err) }, 'unreadable timer dropped');
      this.metrics.timerDropped.inc();
      await this.finish(key, member, lease).catch(() => undefined);
      return;
    }
    try {
      await this.handle(key, member, timer, due, lease);
      this.failures.delete(member);
    } catch (err) {
      const attempts = (this.failures.get(member) ?? 0) + 1;
      if (this.failures.size > 10_000) this.failures.clear();
      this.failures.set(member, attempts);
      this.metrics.timerRetries.inc();
      const fields = { userId: timer.userId, kind: timer.kind, attempts, err: errorText(err) };
      if (attempts < MANY_FAILURES) {
        this.log.warn(fields, `timer failed: retried in ${this.claimLeaseMs} ms`);
      } else {
        this.log.error(fields, `timer keeps failing: retried every ${POISON_DELAY_MS} ms`);
        const later = this.clock().getTime() + POISON_DELAY_MS;
        await this.finish(key, member, lease, { at: later, member }).catch(() => undefined);
      }
    } finally {
      this.active--;
    }
  }

  private async handle(key: string, member: string, timer: Timer, due: number, lease: string): Promise<void> {
    const { userId } = timer;
    let { command } = timer;
    if (command.type === 'connectionTimeout') {
      const moved = await this.users.connectionDue(userId, command).catch((err: unknown) => {
        if (isNotFound(err)) return null;
        throw err;
      });
      if (!moved) return void (await this.finish(key, member, lease));
      if ('fireAt' in moved) {
        // Heartbeats came meanwhile: the same episode's timer, with the live lastSeen, due a timeout after it.
        const next = encodeTimer({ ...timer, command: moved.command });
        await this.finish(key, member, lease, { at: moved.fireAt, member: next });
        this.wakeFor(moved.fireAt);
        return;
      }
      command = moved.command;
    }
    this.metrics.timerLag.observe(Math.max(0, this.clock().getTime() - due) / 1000);
    try {
      await this.users.execute(userId, command);
    } catch (err) {
      if (isNotFound(err)) return void (await this.finish(key, member, lease)); // user deleted: nothing to do
      if (err instanceof ApiError && err.statusCode < 500 && err.code !== 'VERSION_CONFLICT') {
        this.log.warn({ userId, command: command.type, code: err.code }, 'timer command refused: dropped');
        this.metrics.timerDropped.inc();
        return void (await this.finish(key, member, lease));
      }
      throw err; // Redis away or races lost: due again when the claim's lease ends
    }
    await this.finish(key, member, lease);
  }

  /** Removes the claimed member (or replaces it by `then`), if the claim is still its. */
  private async finish(
    key: string,
    member: string,
    lease: string,
    then?: { at: number; member: string },
  ): Promise<void> {
    const args = then ? [member, lease, 'move', then.at, then.member] : [member, lease, 'done'];
    await runScript(this.redis, 'finishTimer', [key], args);
  }

  private async scheduleLegacy(timer: Timer, dueMs: number): Promise<void> {
    const p = this.keys.partitionOf(timer.userId);
    await this.redis.zadd(this.keys.timers(p), 'LT', dueMs, encodeTimer(timer));
    this.wakeFor(dueMs);
  }

  /**
   * Moves jobs of the old BullMQ timer queue into the set (then removes them); at start, then once a minute (an
   * older daemon may still add some during a rolling upgrade). Jobs active in an old worker are left to it.
   */
  private async migrateLegacy(): Promise<void> {
    try {
      for (;;) {
        const jobs = await this.legacy.getJobs(['delayed', 'waiting', 'prioritized'], 0, 499);
        if (jobs.length === 0) return;
        for (const job of jobs) {
          const data = job.data as { userId?: string; dueAt?: string; command?: Command };
          const kind = kindOfKey(String(job.id ?? '').replace('~', ':'));
          if (data.userId && data.dueAt && data.command && kind) {
            await this.scheduleLegacy(
              { userId: data.userId, kind, command: data.command },
              Date.parse(data.dueAt),
            );
          }
          await job.remove();
        }
        this.log.info({ jobs: jobs.length }, 'timers of the old BullMQ queue moved to the timer set');
      }
    } catch (err) {
      if (this.started) this.log.warn({ err: errorText(err) }, 'moving the old BullMQ timers failed');
    }
  }

  private wakeFor(ms: number): void {
    if (!this.started || !Number.isFinite(ms) || ms >= this.wakeAt) return;
    const delay = Math.max(0, ms - this.clock().getTime());
    if (delay > WAKE_HORIZON_MS) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = ms;
    this.wakeTimer = setTimeout(() => {
      this.wakeAt = Infinity;
      void this.sweep();
    }, delay);
    this.wakeTimer.unref();
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'USER_NOT_FOUND';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
