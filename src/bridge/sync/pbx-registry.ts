/**
 * The PBX connections of this daemon: adapters built from config, each with its inbound handler, started and
 * stopped with the daemon, and their state reported to readiness, metrics, GET /v1/pbx and the event stream.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PbxAdapter, PbxConnectionStatus, PbxKind } from '../../adapters/pbx.js';
import type { PbxConfig } from '../config/schema.js';
import type { CheckResult } from '../health.js';
import type { Metrics } from '../metrics.js';
import type { Keys } from '../redis/keys.js';
import type { InboundDeps } from './inbound.js';
import { PbxInbound } from './inbound.js';

export interface PbxConnectionReport extends PbxConnectionStatus {
  id: string;
  kind: PbxKind;
}

export class PbxRegistry {
  readonly adapters = new Map<string, PbxAdapter>();
  readonly inbound = new Map<string, PbxInbound>();

  constructor(
    configs: readonly PbxConfig[],
    create: (config: PbxConfig) => PbxAdapter,
    private readonly deps: {
      redis: Redis;
      keys: Keys;
      metrics: Metrics;
      log: Logger;
      streamMaxLen: number;
      clock: () => Date;
    },
  ) {
    for (const config of configs) this.adapters.set(config.id, create(config));
    this.presenceMaps = new Map(configs.map((c) => [c.id, c.presenceMap]));
  }

  private readonly presenceMaps: Map<string, Readonly<Record<string, string>>>;

  /** Starts every adapter (each connects in the background with its own reconnect loop). */
  async start(inboundDeps: Omit<InboundDeps, 'onConnectionChange'>): Promise<void> {
    for (const [id, adapter] of this.adapters) {
      const inbound = new PbxInbound(adapter, this.presenceMaps.get(id) ?? {}, {
        ...inboundDeps,
        onConnectionChange: (connection, connected, reason) =>
          this.connectionChanged(connection, connected, reason),
      });
      this.inbound.set(id, inbound);
      await adapter.start(inbound.sink);
    }
  }

  async stop(): Promise<void> {
    for (const inbound of this.inbound.values()) inbound.stop();
    for (const adapter of this.adapters.values()) {
      try {
        await adapter.stop();
      } catch (err) {
        this.deps.log.warn({ pbx: adapter.id, err: (err as Error).message }, 'adapter stop failed');
      }
    }
  }

  report(): PbxConnectionReport[] {
    return [...this.adapters.values()].map((a) => ({ id: a.id, kind: a.kind, ...a.status() }));
  }

  /** Readiness: every connection with its state (a PBX down degrades, it does not make the daemon unready). */
  check(): Record<string, CheckResult> {
    const result: Record<string, CheckResult> = {};
    for (const r of this.report()) {
      this.deps.metrics.pbxConnected.set({ pbx: r.id, kind: r.kind }, r.connected ? 1 : 0);
      result[r.id] = {
        ok: r.connected,
        kind: r.kind,
        since: r.since.toISOString(),
        reconnects: r.reconnects,
        lastError: r.lastError,
      };
    }
    return result;
  }

  private async connectionChanged(id: string, connected: boolean, reason?: string): Promise<void> {
    const adapter = this.adapters.get(id);
    if (!adapter) return;
    this.deps.metrics.pbxConnected.set({ pbx: id, kind: adapter.kind }, connected ? 1 : 0);
    this.deps.log.info({ pbx: id, connected, reason }, connected ? 'pbx connected' : 'pbx disconnected');
    const data = JSON.stringify({
      at: this.deps.clock().toISOString(),
      connection: id,
      kind: adapter.kind,
      connected,
      reason: reason ?? null,
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
  }
}
