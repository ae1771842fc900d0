/**
 * The PBX connections, held one daemon at a time. Every daemon runs a lease loop per configured connection: the
 * holder renews the lease and runs the adapter, the inbound handler and the connection's sync worker; the others
 * wait and take over when the lease lapses (holder died, paused, or lost Redis). Taking over builds a fresh
 * adapter, whose first `connected` triggers the snapshot reconcile. The holder publishes its connection state to
 * Redis so any daemon can answer GET /v1/pbx and readiness.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PbxAdapter, PbxKind } from '../../adapters/pbx.js';
import type { PbxConfig } from '../config/schema.js';
import type { DaemonIdentity } from '../ha/identity.js';
import { ConnectionLease } from '../ha/lease.js';
import type { CheckResult } from '../health.js';
import type { Metrics } from '../metrics.js';
import type { Keys } from '../redis/keys.js';
import { PbxInbound, type InboundDeps } from './inbound.js';

export interface PbxConnectionReport {
  id: string;
  kind: PbxKind;
  connected: boolean;
  since: string;
  reconnects: number;
  lastEventAt: string | null;
  lastError: string | null;
  /** The node name of the daemon holding the connection, or null while nobody does. */
  heldBy: string | null;
  /** That daemon's instance id (unique per process, even when node names are not). */
  heldByInstance: string | null;
}

export interface ConnectionWorkers {
  startWorker(connection: string): Promise<void>;
  /** `force`: do not wait for running jobs (the lease is lost; see SyncPipeline.stopWorker). */
  stopWorker(connection: string, force?: boolean): Promise<void>;
}

interface Held {
  adapter: PbxAdapter;
  inbound: PbxInbound;
  lastRenewed: number;
}

export class PbxRegistry {
  private readonly leases = new Map<string, ConnectionLease>();
  private readonly held = new Map<string, Held>();
  private readonly reports = new Map<string, PbxConnectionReport>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private inboundDeps: Omit<InboundDeps, 'onConnectionChange' | 'fence' | 'onFenced'> | undefined;
  private workers: ConnectionWorkers | undefined;
  private stopped = false;

  constructor(
    private readonly configs: readonly PbxConfig[],
    private readonly create: (config: PbxConfig) => PbxAdapter,
    private readonly deps: {
      redis: Redis;
      keys: Keys;
      metrics: Metrics;
      log: Logger;
      streamMaxLen: number;
      clock: () => Date;
      identity: DaemonIdentity;
      leaseTtlMs: number;
    },
  ) {
    for (const c of configs) {
      // The owner carries the instance id: two daemons sharing a node name still hold different leases.
      this.leases.set(
        c.id,
        new ConnectionLease(deps.redis, deps.keys, c.id, deps.identity.owner, deps.leaseTtlMs),
      );
      this.reports.set(c.id, idleReport(c));
    }
  }

  get nodeName(): string {
    return this.deps.identity.nodeName;
  }

  /** The adapter of a connection this daemon holds right now. */
  adapterOf(id: string): PbxAdapter | undefined {
    return this.held.get(id)?.adapter;
  }

  inboundOf(id: string): PbxInbound | undefined {
    return this.held.get(id)?.inbound;
  }

  /** Runs the first lease round (so a lone daemon holds its connections when start() returns), then the loop. */
  async start(
    inboundDeps: NonNullable<PbxRegistry['inboundDeps']>,
    workers: ConnectionWorkers,
  ): Promise<void> {
    this.inboundDeps = inboundDeps;
    this.workers = workers;
    if (this.configs.length === 0) return;
    await this.tick();
    const every = Math.max(200, Math.floor(this.deps.leaseTtlMs / 3));
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, every);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    for (const id of [...this.held.keys()]) await this.drop(id, 'stopping');
    for (const lease of this.leases.values()) await lease.release().catch(() => undefined);
  }

  async report(): Promise<PbxConnectionReport[]> {
    await this.refreshReports();
    return this.configs.map((c) => this.reports.get(c.id) ?? idleReport(c));
  }

  /** Readiness from the last lease round: a PBX down degrades the daemon, it does not make it unready. */
  check(): Record<string, CheckResult> {
    const result: Record<string, CheckResult> = {};
    for (const r of this.reports.values()) {
      this.deps.metrics.pbxConnected.set({ pbx: r.id, kind: r.kind }, r.connected ? 1 : 0);
      result[r.id] = {
        ok: r.connected,
        kind: r.kind,
        heldBy: r.heldBy,
        heldHere: this.held.has(r.id),
        since: r.since,
        reconnects: r.reconnects,
        lastError: r.lastError,
      };
    }
    return result;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    for (const c of this.configs) {
      try {
        await (this.held.has(c.id) ? this.renew(c.id) : this.tryTake(c));
      } catch (err) {
        this.deps.log.warn({ pbx: c.id, err: (err as Error).message }, 'lease round failed');
        await this.dropIfExpired(c.id);
      }
    }
    await this.refreshReports().catch(() => undefined);
  }

  private async renew(id: string): Promise<void> {
    const held = this.held.get(id) as Held;
    if (await (this.leases.get(id) as ConnectionLease).renew()) {
      held.lastRenewed = Date.now();
      await this.publish(id, held.adapter);
      return;
    }
    await this.drop(id, 'lease lost');
  }

  /** Without Redis the lease cannot be renewed; once it may have lapsed, another daemon may hold it: let go. */
  private async dropIfExpired(id: string): Promise<void> {
    const held = this.held.get(id);
    if (held && Date.now() - held.lastRenewed > this.deps.leaseTtlMs)
      await this.drop(id, 'lease expired (Redis unreachable)');
  }

  private async tryTake(config: PbxConfig): Promise<void> {
    const lease = this.leases.get(config.id) as ConnectionLease;
    if (!(await lease.acquire())) return;
    const adapter = this.create(config);
    const inbound = new PbxInbound(adapter, config.presenceMap, {
      ...(this.inboundDeps as NonNullable<PbxRegistry['inboundDeps']>),
      fence: () => lease.fence,
      onFenced: () => void this.enqueueDrop(config.id, 'fenced by a newer holder'),
      onConnectionChange: (connection, connected, reason) =>
        this.connectionChanged(connection, connected, reason),
    });
    this.held.set(config.id, { adapter, inbound, lastRenewed: Date.now() });
    this.deps.metrics.leaseChanges.inc({ pbx: config.id, event: 'acquired' });
    this.deps.log.info(
      {
        pbx: config.id,
        node: this.nodeName,
        instance: this.deps.identity.instanceId,
        fence: lease.fence?.token,
      },
      'took the PBX connection lease',
    );
    await this.workers?.startWorker(config.id);
    await adapter.start(inbound.sink);
    await this.publish(config.id, adapter);
  }

  private enqueueDrop(id: string, why: string): void {
    this.ticking = this.ticking.then(() => this.drop(id, why));
  }

  private async drop(id: string, why: string): Promise<void> {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    held.inbound.stop();
    this.deps.metrics.leaseChanges.inc({ pbx: id, event: why === 'stopping' ? 'released' : 'lost' });
    this.deps.log.warn(
      { pbx: id, node: this.nodeName, instance: this.deps.identity.instanceId, why },
      'let go of the PBX connection',
    );
    await held.adapter
      .stop()
      .catch((err: Error) => this.deps.log.warn({ pbx: id, err: err.message }, 'adapter stop failed'));
    // Only a graceful stop waits for running sync jobs; after a lost lease that wait could block this (serial)
    // lease loop for good, and the connection would never be taken again.
    await this.workers?.stopWorker(id, why !== 'stopping').catch(() => undefined);
  }

  private async publish(id: string, adapter: PbxAdapter): Promise<void> {
    const report = toReport(id, adapter, this.deps.identity);
    this.reports.set(id, report);
    await this.deps.redis.hset(
      this.deps.keys.pbxStatus(),
      id,
      JSON.stringify({ ...report, publishedAt: Date.now() }),
    );
  }

  /** Connections held elsewhere: what their holder published, if it is fresh. */
  private async refreshReports(): Promise<void> {
    const published = await this.deps.redis.hgetall(this.deps.keys.pbxStatus());
    for (const c of this.configs) {
      const heldHere = this.held.get(c.id);
      if (heldHere) {
        this.reports.set(c.id, toReport(c.id, heldHere.adapter, this.deps.identity));
        continue;
      }
      const raw = Object.hasOwn(published, c.id) ? published[c.id] : undefined;
      const entry = raw ? (JSON.parse(raw) as PbxConnectionReport & { publishedAt: number }) : null;
      const fresh = entry && Date.now() - entry.publishedAt <= this.deps.leaseTtlMs * 1.5;
      this.reports.set(
        c.id,
        fresh ? { ...entry, kind: c.kind, heldByInstance: entry.heldByInstance ?? null } : idleReport(c),
      );
    }
  }

  private async connectionChanged(id: string, connected: boolean, reason?: string): Promise<void> {
    const held = this.held.get(id);
    if (!held) return;
    this.deps.metrics.pbxConnected.set({ pbx: id, kind: held.adapter.kind }, connected ? 1 : 0);
    this.deps.log.info({ pbx: id, connected, reason }, connected ? 'pbx connected' : 'pbx disconnected');
    await this.publish(id, held.adapter);
    const data = JSON.stringify({
      at: this.deps.clock().toISOString(),
      connection: id,
      kind: held.adapter.kind,
      connected,
      reason: reason ?? null,
      heldBy: this.nodeName,
      heldByInstance: this.deps.identity.instanceId,
    });
    await this.deps.redis.xadd(
      this.deps.keys.events(0),
      'MAXLEN',
      '~',
      String(this.deps.streamMaxLen),
      '*',
      'type',
      'pbx.connection.changed',
      'user',
      '',
      'data',
      data,
    );
    // The same wake-up every commit sends: readers that poll per partition (Redis Cluster) see it at once.
    await this.deps.redis.publish(this.deps.keys.eventsChannel(), '0');
  }
}

function toReport(id: string, adapter: PbxAdapter, node: DaemonIdentity): PbxConnectionReport {
  const s = adapter.status();
  return {
    id,
    kind: adapter.kind,
    connected: s.connected,
    since: s.since.toISOString(),
    reconnects: s.reconnects,
    lastEventAt: s.lastEventAt?.toISOString() ?? null,
    lastError: s.lastError,
    heldBy: node.nodeName,
    heldByInstance: node.instanceId,
  };
}

function idleReport(c: PbxConfig): PbxConnectionReport {
  return {
    id: c.id,
    kind: c.kind,
    connected: false,
    since: new Date(0).toISOString(),
    reconnects: 0,
    lastEventAt: null,
    lastError: 'no daemon holds this connection',
    heldBy: null,
    heldByInstance: null,
  };
}
