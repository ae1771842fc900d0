/** The per-user record of PBX sync (shown as user.pbx.sync) and the last settings pushed (for echo suppression). */
import type { Redis } from 'ioredis';
import type { DesiredSettings } from '../../adapters/pbx.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import type { SyncRecord } from '../users/user-view.js';

export interface StoredSync extends SyncRecord {
  /** Fingerprint of the last successfully applied target + settings. */
  fingerprint: string | null;
  /** The last settings pushed successfully: phone-side changes equal to them are our own echo. */
  pushed: DesiredSettings | null;
  connection: string | null;
}

export class SyncRecords {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly streamMaxLen: number,
  ) {}

  async get(userId: string): Promise<StoredSync | null> {
    const json = await this.redis.hget(this.keys.user(userId), 'sync');
    return json ? (JSON.parse(json) as StoredSync) : null;
  }

  /** Public part only, for the user view. */
  async view(userId: string): Promise<SyncRecord | null> {
    const stored = await this.get(userId);
    if (!stored) return null;
    const { state, lastError, syncedAt, unsupported = [] } = stored;
    return { state, lastError, syncedAt, unsupported };
  }

  async put(userId: string, record: StoredSync, failedEvent?: Record<string, unknown>): Promise<void> {
    const p = this.keys.partitionOf(userId);
    await runScript(
      this.redis,
      'recordSync',
      [this.keys.user(userId), this.keys.events(p), this.keys.userEvents(userId)],
      [
        JSON.stringify(record),
        failedEvent ? '1' : '0',
        userId,
        JSON.stringify(failedEvent ?? {}),
        this.streamMaxLen,
        this.keys.eventsChannel(),
        p,
      ],
    );
  }
}
