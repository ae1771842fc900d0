/**
 * Readiness: one aggregator that asks every part for its state. Redis and the workers decide readiness (without
 * them the daemon would serve stale state or lose work); a PBX link that is down makes the daemon "degraded" but
 * still ready, because the API and the status engine keep working and sync catches up on reconnect.
 */
import type { Redis } from 'ioredis';

export interface CheckResult {
  ok: boolean;
  [key: string]: unknown;
}

export interface Readiness {
  status: 'ready' | 'degraded' | 'not-ready';
  checks: {
    redis: CheckResult;
    pbx: Record<string, CheckResult>;
    workers: CheckResult;
    /** The status types are in Redis (built-ins seeded, those the configuration names present). */
    catalog: CheckResult;
  };
}

export type PbxCheck = () => Record<string, CheckResult>;
export type WorkersCheck = () => CheckResult;
export type CatalogCheck = () => Promise<CheckResult>;

export class Health {
  private pbx: PbxCheck = () => ({});
  private workers: WorkersCheck = () => ({ ok: true, running: [] });
  private catalog: CatalogCheck = async () => ({ ok: true });
  private stopping = false;

  constructor(private readonly redis: Redis) {}

  setPbxCheck(check: PbxCheck): void {
    this.pbx = check;
  }

  setWorkersCheck(check: WorkersCheck): void {
    this.workers = check;
  }

  setCatalogCheck(check: CatalogCheck): void {
    this.catalog = check;
  }

  markStopping(): void {
    this.stopping = true;
  }

  async redisCheck(): Promise<CheckResult> {
    if (this.redis.status !== 'ready') return { ok: false, state: this.redis.status };
    const started = process.hrtime.bigint();
    try {
      await this.redis.ping();
      return { ok: true, latencyMs: Number(process.hrtime.bigint() - started) / 1e6 };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  async readiness(): Promise<Readiness> {
    const redis = await this.redisCheck();
    const pbx = this.pbx();
    const workers = this.workers();
    const catalog: CheckResult = redis.ok
      ? await this.catalog()
      : { ok: false, reason: 'redis is unreachable' };
    const ready = redis.ok && workers.ok && catalog.ok && !this.stopping;
    const degraded = Object.values(pbx).some((c) => !c.ok);
    return {
      status: !ready ? 'not-ready' : degraded ? 'degraded' : 'ready',
      checks: { redis, pbx, workers, catalog },
    };
  }
}
