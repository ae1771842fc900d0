/**
 * The per-user record of PBX sync (shown as user.pbx.sync) and the last settings pushed (for echo suppression).
 *
 * The sync *state* is kept apart from the worker's details, in fields of the user hash that two scripts move:
 * commitUser marks it `pending` in the commit's own step when the desired settings change (their fingerprint,
 * `syncDesired`), and recordSync (this module, one small function per step of a sync) marks it `in-sync` only when
 * the settings applied are the ones desired now, or `failed`. Both keep the per-connection pending and failed sets
 * that metrics and `GET /v1/users?syncState=` read. Whichever dispatcher runs a sync calls these functions.
 */
import type { Redis } from 'ioredis';
import type { DesiredSettings } from '../../adapters/pbx.js';
import type { Keys } from '../redis/keys.js';
import { execGrouped } from '../redis/cluster.js';
import { runScript } from '../redis/scripts.js';
import { RecentPushes } from './recent-pushes.js';
import type { SyncRecord, SyncState } from '../users/user-view.js';

/** What the sync worker writes: everything but the state, which recordSync decides. */
export interface SyncDetails {
  lastError: { code: string; message: string } | null;
  syncedAt: string | null;
  unsupported?: string[];
  /** Fingerprint (sync/desired.ts) of the last successfully applied target + settings. */
  fingerprint: string | null;
  /** The last settings pushed successfully: phone-side changes equal to them are our own echo. */
  pushed: DesiredSettings | null;
  connection: string | null;
}

export interface StoredSync extends SyncDetails {
  state: SyncState;
  /** Fingerprint of the settings the user's state asks for now (written by commitUser). */
  desired: string | null;
  /** When the current state began. */
  since: string | null;
}

/** What a sync step worked on: the fingerprint it pushed and the version of the state it computed it from. */
export interface SyncBasis {
  fingerprint: string;
  version: number;
}

/** The user hash fields of a sync record (see {@link parseSyncRecord}). */
export const RECORD_FIELDS = ['sync', 'syncState', 'syncDesired', 'syncSince'] as const;

type SyncStep = 'pushing' | 'applied' | 'retrying' | 'failed';

export class SyncRecords {
  /** What this daemon pushed lately (echo recognition without a read; the sync worker keeps it). */
  readonly recent = new RecentPushes();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly streamMaxLen: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(userId: string): Promise<StoredSync | null> {
    const fields = await this.redis.hmget(this.keys.user(userId), ...RECORD_FIELDS);
    return storedSync(fields);
  }

  /** The records of several users in one write (grouped by partition in a cluster); one outcome per user. */
  async getMany(userIds: readonly string[]): Promise<Array<StoredSync | null>> {
    const results = await execGrouped(
      this.redis,
      userIds,
      (id) => this.keys.partitionOf(id),
      (pipeline, id) => pipeline.hmget(this.keys.user(id), ...RECORD_FIELDS),
    );
    return userIds.map((_id, i) => {
      const [err, fields] = results[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      return storedSync(fields as Array<string | null>);
    });
  }

  /** Public part only, for the user view. */
  async view(userId: string): Promise<SyncRecord | null> {
    const stored = await this.get(userId);
    return stored ? publicSync(stored) : null;
  }

  /** Before the push: the settings about to be pushed (their echoes must already compare equal). */
  markPushing(userId: string, details: SyncDetails, basis: SyncBasis): Promise<SyncState | null> {
    return this.step(userId, 'pushing', details, basis);
  }

  /** The adapter applied (or confirmed) the settings of `basis`: in-sync, unless a newer commit wants others. */
  markApplied(userId: string, details: SyncDetails, basis: SyncBasis): Promise<SyncState | null> {
    return this.step(userId, 'applied', details, basis);
  }

  /** The push failed and will be retried: pending, with the error. */
  markRetrying(userId: string, details: SyncDetails, basis: SyncBasis): Promise<SyncState | null> {
    return this.step(userId, 'retrying', details, basis);
  }

  /**
   * The push failed for good (permanent error, or the retry budget is spent): failed, with `failedEvent` appended
   * as pbx.sync.failed when given. `basis` null: whatever is desired (e.g. the connection is not configured).
   */
  markFailed(
    userId: string,
    details: SyncDetails,
    basis: SyncBasis | null,
    failedEvent?: Record<string, unknown>,
  ): Promise<SyncState | null> {
    return this.step(userId, 'failed', details, basis, failedEvent);
  }

  /** Returns the user's sync state after the step, or null when the user no longer exists. */
  private async step(
    userId: string,
    step: SyncStep,
    details: SyncDetails,
    basis: SyncBasis | null,
    failedEvent?: Record<string, unknown>,
  ): Promise<SyncState | null> {
    const p = this.keys.partitionOf(userId);
    const connection = details.connection ?? '-';
    const result = await runScript(
      this.redis,
      'recordSync',
      [
        this.keys.user(userId),
        this.keys.events(p),
        this.keys.syncPending(p, connection),
        this.keys.syncFailed(p, connection),
        this.keys.userEvents(userId),
      ],
      [
        step,
        JSON.stringify(detailsOf(details)),
        basis?.fingerprint ?? '',
        basis ? String(basis.version) : '',
        this.clock().getTime(),
        failedEvent ? '1' : '0',
        userId,
        JSON.stringify(failedEvent ?? {}),
        this.streamMaxLen,
        this.keys.eventsChannel(),
        p,
      ],
    );
    return result === 0 ? null : (result as SyncState);
  }
}

/** Only the details go into the JSON field: the state lives in its own fields. */
function detailsOf(d: SyncDetails): SyncDetails {
  const { lastError, syncedAt, unsupported = [], fingerprint, pushed, connection } = d;
  return { lastError, syncedAt, unsupported, fingerprint, pushed, connection };
}

/** The record from the values of RECORD_FIELDS, in that order; null when the user has none. */
export const parseSyncRecord = (fields: Array<string | null>): StoredSync | null => storedSync(fields);

function storedSync([json, state, desired, since]: Array<string | null>): StoredSync | null {
  if (!json && !state) return null;
  // Records written before the state had its own fields carry it in the JSON.
  const details = (json ? JSON.parse(json) : {}) as Partial<SyncDetails> & { state?: SyncState };
  return {
    lastError: details.lastError ?? null,
    syncedAt: details.syncedAt ?? null,
    unsupported: details.unsupported ?? [],
    fingerprint: details.fingerprint ?? null,
    pushed: details.pushed ?? null,
    connection: details.connection ?? null,
    state: (state as SyncState | null) ?? details.state ?? 'pending',
    desired: desired ?? null,
    since: since ? new Date(Number(since)).toISOString() : null,
  };
}

function publicSync(s: StoredSync): SyncRecord {
  return {
    state: s.state,
    lastError: s.lastError,
    syncedAt: s.syncedAt,
    unsupported: s.unsupported ?? [],
    since: s.since,
    desiredFingerprint: s.desired,
    appliedFingerprint: s.fingerprint,
  };
}
