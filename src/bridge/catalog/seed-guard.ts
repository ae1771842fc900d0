/**
 * Redis that comes back empty (restarted without persistence, flushed, failed over to an empty replica) has lost
 * the built-in status types: every status change would be 404 while the daemon looked healthy. A marker key is
 * written with the built-ins; when it is gone the catalog was lost with it. The guard looks for it after every
 * reconnect, every `intervalMs`, and on each readiness probe; when it is missing it seeds the built-ins again
 * (they never overwrite an admin's edits), applies the configuration's catalogue (`statusTypes:`) again, and
 * writes the marker. Until that has succeeded, and while a status type
 * the configuration names is missing (an admin's type lost with the data), readiness is "not-ready" with the
 * reason, so a balancer sends no traffic to a daemon that would refuse every change.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StatusReference } from '../config/status-references.js';
import type { CheckResult } from '../health.js';
import type { CatalogCache } from './catalog-cache.js';
import type { StatusTypeStore } from './status-type-store.js';

export class SeedGuard {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<CheckResult> | undefined;
  private last: CheckResult = { ok: true };
  private readonly onReady = () => void this.check();

  constructor(
    private readonly redis: Redis,
    private readonly statusTypes: StatusTypeStore,
    private readonly catalog: CatalogCache,
    private readonly references: readonly StatusReference[],
    private readonly log: Logger,
    /** The configuration's catalogue (statusTypes:), applied again after the built-ins. */
    private readonly reseedConfigured?: () => Promise<unknown>,
    private readonly intervalMs = 5_000,
  ) {}

  /** The first check runs at once (the daemon seeds before anything else uses the catalog). */
  async start(): Promise<void> {
    await this.check();
    this.redis.on('ready', this.onReady);
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
  }

  /** For readiness: checks again (one EXISTS when all is well) and reports what it found. */
  async readiness(): Promise<CheckResult> {
    if (this.redis.status !== 'ready') return this.last;
    return this.check();
  }

  /** One check at a time; concurrent callers share it. */
  check(): Promise<CheckResult> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<CheckResult> {
    try {
      const { missingMarker, seeded } = await this.statusTypes.ensureSeeded(this.reseedConfigured);
      if (missingMarker && seeded > 0) {
        this.log.warn(
          { seeded },
          'built-in status types were missing from Redis (it came back empty?): seeded again',
        );
      }
      if (missingMarker) await this.catalog.refresh();
      const catalog = await this.catalog.get();
      const missing = this.references.filter((r) => !catalog.has(r.id));
      this.last = missing.length
        ? {
            ok: false,
            reason: 'status types the configuration names are missing from Redis',
            missing: missing.map((r) => ({ field: r.path, statusId: r.id })),
          }
        : { ok: true };
      if (!this.last.ok) this.log.error(this.last, 'status types the configuration names are missing');
    } catch (err) {
      // Redis away: the redis check says so; keep the last answer and try again on reconnect.
      this.log.debug({ err: (err as Error).message }, 'catalog seed check failed');
    }
    return this.last;
  }
}
