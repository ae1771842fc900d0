/**
 * The daemons sharing one Redis, as each of them sees it: every daemon writes a heartbeat entry (node name,
 * instance id, start and last-seen times) into one hash every `intervalMs`, reads everyone's, and forgets entries
 * not refreshed within `staleMs`. Two fresh entries with the same node name but different instances are a
 * duplicate node name: harmless for the leases (their owner carries the instance id), but `heldBy` and the logs
 * can no longer tell the daemons apart, so it is logged (once per change) and shown in GET /v1/pbx.
 * Last-seen times are the writers' own clocks; `staleMs` (a few lease lengths) absorbs ordinary clock skew.
 * Another instance counts towards a duplicate only once this daemon has seen its heartbeat advance, so the entry a
 * crashed daemon left behind (until `staleMs` removes it) is no false alarm when it is restarted under its name.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../redis/keys.js';
import type { DaemonIdentity } from './identity.js';

export interface DaemonEntry {
  nodeName: string;
  instanceId: string;
  startedAt: string;
  lastSeenAt: string;
  version: string | null;
}

export interface RosterView {
  daemons: Array<DaemonEntry & { self: boolean }>;
  /** Node names used by more than one running daemon. */
  duplicateNodeNames: string[];
}

export class DaemonRoster {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private readonly startedAt = new Date().toISOString();
  private lastDuplicates = '';
  private latest: RosterView = { daemons: [], duplicateNodeNames: [] };
  /** Per other instance: the first last-seen time read, and whether a later read showed a newer one. */
  private readonly observed = new Map<string, { first: string; alive: boolean }>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly identity: DaemonIdentity,
    private readonly log: Logger,
    private readonly options: { intervalMs: number; staleMs: number; version?: string },
  ) {}

  /** Announces this daemon (so the first lease round already knows about duplicates), then keeps doing so. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick().catch(() => undefined));
    }, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await this.redis.hdel(this.keys.daemons(), this.identity.instanceId);
  }

  /** The roster as of the last round. */
  get view(): RosterView {
    return this.latest;
  }

  /** A fresh read, for GET /v1/pbx on any daemon. */
  async read(): Promise<RosterView> {
    const raw = await this.redis.hgetall(this.keys.daemons());
    const now = Date.now();
    const fresh: DaemonEntry[] = [];
    const stale: string[] = [];
    for (const [instanceId, text] of Object.entries(raw)) {
      const entry = parseEntry(text);
      if (entry && now - Date.parse(entry.lastSeenAt) <= this.options.staleMs) fresh.push(entry);
      else stale.push(instanceId);
    }
    if (stale.length > 0) await this.redis.hdel(this.keys.daemons(), ...stale);
    fresh.sort((a, b) => a.nodeName.localeCompare(b.nodeName) || a.startedAt.localeCompare(b.startedAt));
    const counts = new Map<string, number>();
    for (const d of fresh) {
      if (this.isAlive(d)) counts.set(d.nodeName, (counts.get(d.nodeName) ?? 0) + 1);
    }
    for (const id of this.observed.keys()) {
      if (!fresh.some((d) => d.instanceId === id)) this.observed.delete(id);
    }
    return {
      daemons: fresh.map((d) => ({ ...d, self: d.instanceId === this.identity.instanceId })),
      duplicateNodeNames: [...counts].filter(([, n]) => n > 1).map(([name]) => name),
    };
  }

  private isAlive(entry: DaemonEntry): boolean {
    if (entry.instanceId === this.identity.instanceId) return true;
    const seen = this.observed.get(entry.instanceId);
    if (!seen) {
      this.observed.set(entry.instanceId, { first: entry.lastSeenAt, alive: false });
      return false;
    }
    seen.alive ||= entry.lastSeenAt !== seen.first;
    return seen.alive;
  }

  private async tick(): Promise<void> {
    const entry: DaemonEntry = {
      nodeName: this.identity.nodeName,
      instanceId: this.identity.instanceId,
      startedAt: this.startedAt,
      lastSeenAt: new Date().toISOString(),
      version: this.options.version ?? null,
    };
    await this.redis.hset(this.keys.daemons(), this.identity.instanceId, JSON.stringify(entry));
    this.latest = await this.read();
    this.reportDuplicates();
  }

  private reportDuplicates(): void {
    const duplicate = this.latest.duplicateNodeNames.includes(this.identity.nodeName);
    const mine = this.latest.daemons.filter((d) => d.nodeName === this.identity.nodeName);
    const key = duplicate ? mine.map((d) => d.instanceId).join(',') : '';
    if (key === this.lastDuplicates) return;
    this.lastDuplicates = key;
    if (duplicate) {
      this.log.error(
        {
          node: this.identity.nodeName,
          instances: mine.map((d) => d.instanceId),
          self: this.identity.instanceId,
        },
        'duplicate node name: another running daemon uses the same ha.nodeName; give each daemon its own name (or leave ha.nodeName unset)',
      );
    } else {
      this.log.info({ node: this.identity.nodeName }, 'node name is unique again');
    }
  }
}

function parseEntry(text: string): DaemonEntry | null {
  try {
    const entry = JSON.parse(text) as DaemonEntry;
    return typeof entry.nodeName === 'string' && typeof entry.lastSeenAt === 'string' ? entry : null;
  } catch {
    return null;
  }
}
