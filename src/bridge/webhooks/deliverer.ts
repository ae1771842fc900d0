/**
 * Who queues and sends webhooks: exactly one daemon at a time, the holder of the webhook lease (same lease
 * scripts as a PBX connection). Several daemons on one Redis then send each delivery once (at least once across a
 * crash: the new holder re-sends what the old one had not finished). The holder runs the fan-out from the outbox
 * (one reader with a fixed consumer name, so a new holder first finishes its predecessor's entries: fan-out spread
 * over daemons, or a crashed reader's entries claimed later, would queue one user's events out of order) and one
 * EndpointWorker per endpoint, reconciled with the endpoint list every lease round, so an endpoint created,
 * changed or deleted on any daemon is picked up within a round.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WebhooksConfig } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import { StreamWaker } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import type { DeliveryStore } from './delivery-store.js';
import type { EndpointStore, WebhookEndpoint } from './endpoint-store.js';
import { EndpointWorker } from './endpoint-worker.js';
import { LoopPressure } from './loop-pressure.js';
import { WebhookSender } from './sender.js';
import type { TargetPolicy } from './target-policy.js';

export interface DelivererDeps {
  redis: Redis;
  /** A connection for the wake-up subscription (subscribed connections can do nothing else). */
  subscriber: Redis;
  keys: Keys;
  endpoints: EndpointStore;
  store: DeliveryStore;
  policy: TargetPolicy;
  config: WebhooksConfig;
  metrics: Metrics;
  log: Logger;
  clock: () => Date;
  owner: string;
  leaseTtlMs: number;
  /** Starts the outbox fan-out (on taking the lease). */
  startFanout: () => Promise<FanoutHandle>;
}

export interface FanoutHandle {
  stop(): Promise<void>;
  /** Endpoints exist (again): a fan-out idle without them reads at once rather than at its next check. */
  wake(): void;
}

/** Entries one endpoint holds in memory at most (the rest wait in its Redis queue). */
const WINDOW = 2_000;

export class WebhookDeliverer {
  private running = false;
  private loop: Promise<void> | undefined;
  private token = 0;
  private lastRenewed = 0;
  private readonly workers = new Map<string, EndpointWorker>();
  private readonly waker: StreamWaker;
  private wakeRound: (() => void) | undefined;
  private readonly pressure = new LoopPressure();
  private fanout: FanoutHandle | undefined;

  constructor(private readonly deps: DelivererDeps) {
    this.waker = new StreamWaker(deps.subscriber, deps.keys.webhooksChannel());
  }

  get holding(): boolean {
    return this.token > 0;
  }

  async start(): Promise<void> {
    await this.waker.start();
    this.pressure.start();
    this.running = true;
    await this.round(); // a lone daemon delivers as soon as start() returns
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeRound?.();
    await this.loop;
    await this.release();
    if (this.token > 0) {
      await runScript(
        this.deps.redis,
        'releaseLease',
        [this.deps.keys.webhookLease()],
        [this.leaseValue()],
      ).catch(() => undefined);
      this.token = 0;
    }
    this.waker.stop();
    this.pressure.stop();
  }

  /** Re-reads the endpoint list now (after an API change on this daemon). */
  refresh(): void {
    this.wakeRound?.();
  }

  private async run(): Promise<void> {
    const every = Math.max(200, Math.floor(this.deps.leaseTtlMs / 3));
    while (this.running) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, every);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wakeRound = done;
      });
      if (this.running) await this.round();
    }
  }

  private async round(): Promise<void> {
    try {
      const token = Number(
        await runScript(
          this.deps.redis,
          'acquireLease',
          [this.deps.keys.webhookLease(), this.deps.keys.webhookLeaseCounter()],
          [this.deps.owner, this.deps.leaseTtlMs],
        ),
      );
      if (token === 0) {
        if (this.token > 0) this.deps.log.warn({}, 'webhook lease lost; another daemon delivers');
        this.token = 0;
        await this.release();
        return;
      }
      if (this.token !== token) this.deps.log.info({ token }, 'took the webhook delivery lease');
      this.token = token;
      this.lastRenewed = Date.now();
      this.fanout ??= await this.deps.startFanout();
      const endpoints = await this.deps.endpoints.list();
      if (endpoints.length > 0) this.fanout.wake();
      await this.reconcile(endpoints);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'webhook lease round failed');
      // Without Redis the lease cannot be renewed; once it may have lapsed another daemon may deliver: let go.
      if (this.token > 0 && Date.now() - this.lastRenewed > this.deps.leaseTtlMs) {
        this.token = 0;
        await this.release();
      }
    }
  }

  private async reconcile(endpoints: WebhookEndpoint[]): Promise<void> {
    const wanted = new Map(endpoints.map((e) => [e.id, e]));
    for (const [id, worker] of this.workers) {
      if (wanted.has(id)) continue;
      this.workers.delete(id);
      await worker.stop();
    }
    for (const endpoint of endpoints) {
      const worker = this.workers.get(endpoint.id);
      if (worker)
        worker.endpoint = endpoint; // url, secret and filters apply from the next attempt
      else this.startWorker(endpoint);
    }
  }

  private startWorker(endpoint: WebhookEndpoint): void {
    const { config } = this.deps;
    const worker = new EndpointWorker(
      endpoint,
      {
        store: this.deps.store,
        sender: new WebhookSender(this.deps.policy, config.timeoutMs, config.concurrency),
        waker: this.waker,
        pressure: this.pressure,
        metrics: this.deps.metrics,
        log: this.deps.log,
        clock: this.deps.clock,
      },
      {
        retry: { ...config.backoff, retryForMs: config.retryForSeconds * 1000 },
        concurrency: config.concurrency,
        window: WINDOW,
        idleWaitMs: 1_000,
      },
    );
    this.workers.set(endpoint.id, worker);
    worker.start();
  }

  /** Stops the fan-out and the workers (the lease is gone or being given up). */
  private async release(): Promise<void> {
    const fanout = this.fanout;
    this.fanout = undefined;
    await fanout
      ?.stop()
      .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'webhook fan-out stop failed'));
    await this.stopWorkers();
  }

  private async stopWorkers(): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.allSettled(workers.map((w) => w.stop()));
  }

  private leaseValue(): string {
    return `${this.deps.owner}|${this.token}`;
  }
}
