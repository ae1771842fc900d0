/**
 * The lease on one PBX connection (docs/architecture.md, "High availability"): at most one daemon holds a connection at a time.
 * Acquiring yields a fencing token from a counter that only grows; before the new holder handles any PBX event
 * it raises the fence in every partition to its token, and the commit script refuses inbound commits carrying
 * an older token. So a holder that was paused past its lease (GC, SIGSTOP) cannot write after a takeover.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

export interface Fence {
  connection: string;
  token: number;
}

export class ConnectionLease {
  private token = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    readonly connection: string,
    private readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  get fence(): Fence | null {
    return this.token > 0 ? { connection: this.connection, token: this.token } : null;
  }

  /** Takes the lease if free (or keeps it if ours). Returns true while we hold it. */
  async acquire(): Promise<boolean> {
    const token = Number(
      await runScript(
        this.redis,
        'acquireLease',
        [this.keys.pbxLease(this.connection), this.keys.pbxFenceCounter(this.connection)],
        [this.owner, this.ttlMs],
      ),
    );
    if (token === 0) return false;
    if (token !== this.token) await this.raiseFences(token);
    this.token = token;
    return true;
  }

  /** Extends the lease; false means it was lost (expired and maybe taken): stop using the connection at once. */
  async renew(): Promise<boolean> {
    if (this.token === 0) return false;
    const ok = await runScript(
      this.redis,
      'renewLease',
      [this.keys.pbxLease(this.connection)],
      [this.value(), this.ttlMs],
    );
    if (ok !== 1) this.token = 0;
    return ok === 1;
  }

  async release(): Promise<void> {
    if (this.token === 0) return;
    await runScript(this.redis, 'releaseLease', [this.keys.pbxLease(this.connection)], [this.value()]);
    this.token = 0;
  }

  /** Current holder's owner id ("<nodeName>#<instanceId>" in the daemon), or null. */
  async holder(): Promise<string | null> {
    const value = await this.redis.get(this.keys.pbxLease(this.connection));
    return value ? value.slice(0, value.lastIndexOf('|')) : null;
  }

  private value(): string {
    return `${this.owner}|${this.token}`;
  }

  private async raiseFences(token: number): Promise<void> {
    for (const p of this.keys.allPartitions()) {
      await runScript(this.redis, 'raiseFence', [this.keys.pbxFence(p, this.connection)], [token]);
    }
  }
}
