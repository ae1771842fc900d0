/**
 * Delivers one endpoint's queue (run only by the daemon holding the webhook lease). Entries are read from the
 * endpoint's consumer group into per-user chains: one user's deliveries go out strictly one after the other, in
 * queue order, each retried until delivered or its retry window closes, while other users' chains proceed, up
 * to `concurrency` requests in flight. An entry is acknowledged only once its delivery is finished, so a crash
 * leaves it pending and the next holder sends it again (at least once; receivers deduplicate by webhook-id).
 * At most `window` entries are held in memory; the rest wait in Redis.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { StreamWaker } from '../redis/cluster.js';
import {
  RECENT_ATTEMPTS,
  pendingDelivery,
  type DeliveryRecord,
  type DeliveryStore,
  type QueuedDelivery,
} from './delivery-store.js';
import type { WebhookEndpoint } from './endpoint-store.js';
import { nextAttemptAt, type RetryPolicy } from './retry-schedule.js';
import { Semaphore } from './semaphore.js';
import type { AttemptResult, WebhookSender } from './sender.js';
import { signedHeaders } from './signature.js';

/** A read that found fewer entries than this waits COALESCE_MS before the next one. */
const COALESCE_BELOW = 20;
const COALESCE_MS = 5;
/** While the event loop lags (LoopPressure): batches this small, this pause after each. */
const PRESSURE_BATCH = 50;
const PRESSURE_PAUSE_MS = 20;

export interface WorkerOptions {
  retry: RetryPolicy;
  concurrency: number;
  /** Entries held in memory at most. */
  window: number;
  /** Longest wait for new entries without a wake-up. */
  idleWaitMs: number;
}

export interface WorkerDeps {
  store: DeliveryStore;
  sender: WebhookSender;
  waker: StreamWaker;
  /** When busy, new entries are read in small batches with pauses (status changes first). */
  pressure?: { readonly busy: boolean } | undefined;
  metrics: Metrics;
  log: Logger;
  clock: () => Date;
}

export class EndpointWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly chains = new Map<string, Promise<void>>();
  /** Queue entries held in memory (in a chain), so a re-read of pending entries does not start them twice. */
  private readonly held = new Set<string>();
  private readonly requests: Semaphore;
  private readonly sleepers = new Set<() => void>();
  private roomWaiter: (() => void) | undefined;
  /** Set when a delivery's outcome could not be stored: its entry is still pending and must be read again. */
  private rescan = false;

  constructor(
    public endpoint: WebhookEndpoint,
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions,
  ) {
    this.requests = new Semaphore(options.concurrency);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops reading and waiting; attempts in flight finish (bounded by the request timeout) and are recorded. */
  async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    this.roomWaiter?.();
    this.deps.waker.wakeAll(); // ends the loop's idle wait (other workers just look at their queue once more)
    await this.loop;
    await Promise.allSettled([...this.chains.values()]);
    this.deps.sender.close();
  }

  private async run(): Promise<void> {
    const id = this.endpoint.id;
    let pendingAfter: string | null = '0'; // first the entries a previous holder left unfinished, in order
    while (this.running) {
      if (this.rescan) {
        this.rescan = false;
        pendingAfter = '0';
      }
      try {
        await this.deps.store.ensureGroup(id);
        await this.room();
        if (!this.running) break;
        const room = this.options.window - this.held.size;
        if (pendingAfter !== null) {
          const entries = await this.deps.store.read(id, '0', room, pendingAfter);
          if (entries.length === 0) pendingAfter = null;
          else {
            pendingAfter = (entries.at(-1) as QueuedDelivery).entryId;
            await this.accept(entries);
          }
          continue;
        }
        const mark = this.deps.waker.mark();
        const busy = this.deps.pressure?.busy === true;
        const entries = await this.deps.store.read(id, '>', busy ? Math.min(room, PRESSURE_BATCH) : room);
        if (entries.length > 0) await this.accept(entries);
        else await this.deps.waker.wait(mark, this.options.idleWaitMs);
        if (busy) await this.sleep(PRESSURE_PAUSE_MS);
        else if (entries.length > 0 && entries.length < COALESCE_BELOW) {
          // Perf: under a steady stream each read found one or two entries; a short pause lets a batch gather.
          await this.sleep(COALESCE_MS);
        }
      } catch (err) {
        if (!this.running) break;
        this.deps.log.warn(
          { webhook: id, err: (err as Error).message },
          'webhook queue read failed; retrying',
        );
        pendingAfter = '0';
        await this.sleep(500);
      }
    }
  }

  /** Resolves once fewer than `window` entries are held (or on stop). */
  private room(): Promise<void> {
    if (this.held.size < this.options.window || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.roomWaiter = () => {
        this.roomWaiter = undefined;
        resolve();
      };
    });
  }

  private async accept(entries: QueuedDelivery[]): Promise<void> {
    const fresh = entries.filter((e) => !this.held.has(e.entryId));
    const records = await this.deps.store.records(
      this.endpoint.id,
      fresh.map((e) => e.id),
    );
    for (const [i, entry] of fresh.entries()) {
      const record = records[i] ?? rebuild(entry);
      record.body ||= entry.body; // stored with the first outcome (enqueue keeps it in the queue entry only)
      if (record.status !== 'pending') {
        await this.deps.store.drop(this.endpoint.id, entry.entryId); // a leftover: already finished
        continue;
      }
      this.hold(entry, record);
    }
  }

  private hold(entry: QueuedDelivery, record: DeliveryRecord): void {
    this.held.add(entry.entryId);
    const user = record.userId ?? '';
    const previous = this.chains.get(user) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliver(entry, record))
      .catch((err: unknown) => {
        // Only Redis faults end up here: the entry stays pending, and the loop reads pending entries again.
        this.rescan = true;
        this.deps.log.warn(
          { webhook: this.endpoint.id, err: (err as Error).message },
          'webhook delivery not recorded',
        );
      })
      .finally(() => {
        this.held.delete(entry.entryId);
        if (this.chains.get(user) === next) this.chains.delete(user);
        this.roomWaiter?.();
      });
    this.chains.set(user, next);
  }

  /** Attempts until delivered, failed for good, or stopped (then the entry stays pending for the next holder). */
  private async deliver(entry: QueuedDelivery, record: DeliveryRecord): Promise<void> {
    const { retry } = this.options;
    while (this.running) {
      const due = record.nextAttemptAt ? Date.parse(record.nextAttemptAt) - this.now() : 0;
      if (due > 0) await this.sleep(due);
      if (!this.running) return;
      record.firstAttemptAt ??= this.deps.clock().toISOString();
      const result = await this.attempt(record);
      this.recordAttempt(record, result);
      if (result.ok) {
        this.finish(record, 'delivered');
        this.deps.metrics.webhookLag.observe(
          { endpoint: this.endpoint.id },
          (this.now() - entry.eventAtMs) / 1000,
        );
        await this.deps.store.save(this.endpoint.id, record, entry.entryId);
        return;
      }
      const next = nextAttemptAt(retry, Date.parse(record.firstAttemptAt), record.attempts, this.now());
      if (next === null) {
        this.finish(record, 'failed');
        this.deps.log.warn(
          { webhook: this.endpoint.id, delivery: record.id, attempts: record.attempts, error: result.error },
          'webhook delivery failed for good',
        );
        await this.deps.store.save(this.endpoint.id, record, entry.entryId);
        return;
      }
      record.nextAttemptAt = new Date(next).toISOString();
      await this.deps.store.save(this.endpoint.id, record, null);
    }
  }

  private async attempt(record: DeliveryRecord): Promise<AttemptResult> {
    await this.requests.acquire();
    try {
      const { url, secret } = this.endpoint; // read per attempt: a PATCH applies to the next attempt
      const timestamp = Math.floor(this.now() / 1000);
      return await this.deps.sender.post(
        url,
        signedHeaders(secret, record.id, timestamp, record.body),
        record.body,
      );
    } finally {
      this.requests.release();
    }
  }

  private recordAttempt(record: DeliveryRecord, result: AttemptResult): void {
    const at = this.deps.clock().toISOString();
    record.attempts += 1;
    record.lastAttemptAt = at;
    record.lastStatusCode = result.statusCode;
    record.lastError = result.error;
    record.recentAttempts = [
      ...record.recentAttempts,
      { at, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs },
    ].slice(-RECENT_ATTEMPTS);
    this.deps.metrics.webhookAttempts.inc({ endpoint: this.endpoint.id, outcome: result.kind });
  }

  private finish(record: DeliveryRecord, status: 'delivered' | 'failed'): void {
    record.status = status;
    record.nextAttemptAt = null;
    record.finishedAt = this.deps.clock().toISOString();
    this.deps.metrics.webhookDeliveries.inc({ endpoint: this.endpoint.id, outcome: status });
  }

  private now(): number {
    return this.deps.clock().getTime();
  }

  /** A wait that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** A record trimmed away while its entry still waited: start again from what the queue entry carries. */
function rebuild(entry: QueuedDelivery): DeliveryRecord {
  let type = '';
  let userId: string | null = null;
  try {
    const parsed = JSON.parse(entry.body) as { type?: string; data?: { userId?: string | null } };
    type = parsed.type ?? '';
    userId = parsed.data?.userId ?? null;
  } catch {
    // an unparseable body is still sent as it is
  }
  return pendingDelivery({
    id: entry.id,
    eventType: type,
    userId,
    eventAt: new Date(entry.eventAtMs).toISOString(),
    body: entry.body,
  });
}
