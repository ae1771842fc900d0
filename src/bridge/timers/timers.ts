/**
 * Durable timers (docs/architecture.md, "Dispatcher and timers"): overage, wrap-up and connection-loss timers are BullMQ delayed jobs.
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
import type { Command } from '../../status/index.js';
import { ApiError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { StreamEntry } from '../outbox/outbox-entry.js';
import type { UserService } from '../users/user-service.js';
import { TIMER_REQUESTED } from '../users/user-store.js';

export const TIMER_QUEUE = 'timers';

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

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
    private readonly users: UserService,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.queue = new Queue<TimerJob>(TIMER_QUEUE, { connection, prefix });
    this.queue.on('error', (err) => this.log.warn({ err: err.message }, 'timer queue error'));
  }

  /** Outbox handler: schedules the timers that committed changes requested. */
  readonly onOutboxEntry = async (entry: StreamEntry): Promise<void> => {
    if (entry.type !== TIMER_REQUESTED) return;
    const { key, dueAt, command } = entry.data as { key: string; dueAt: string; command: Command };
    const delay = Math.max(0, Date.parse(dueAt) - this.clock().getTime());
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

  /** Makes every delayed timer due now (tests and operators' "fire overdue timers"). */
  async promoteAll(): Promise<void> {
    await this.queue.promoteJobs();
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('delayed', 'waiting', 'active', 'failed');
  }

  start(concurrency = 50): void {
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
}
