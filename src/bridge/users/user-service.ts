/**
 * Executes commands against a user's state: load → decide() → atomic commit, retried (bounded) when another
 * writer won the race. This is the only path by which user state changes (docs/architecture.md, "Commit and outbox").
 */
import type { Logger } from 'pino';
import {
  decide,
  type Catalog,
  newUserState,
  type Command,
  type DecideConfig,
  type DomainEvent,
  type UserState,
} from '../../status/index.js';
import type { CatalogCache } from '../catalog/catalog-cache.js';
import { ApiError } from '../errors.js';
import type { Fence } from '../ha/lease.js';
import type { Metrics } from '../metrics.js';
import type { UserStore } from './user-store.js';

const MAX_ATTEMPTS = 20;

const EMPTY_DIRECTORY = { displayName: '', pbx: null, mobile: null, queues: [], wrapUpSeconds: null };

export interface ExecuteOptions {
  /** If-Match: the version the caller saw; a different stored version is a VERSION_CONFLICT. */
  expectedVersion?: number | undefined;
  /** PBX-originated commands carry their connection holder's fencing token (see ha/lease.ts). */
  fence?: Fence | undefined;
  /**
   * Called right after the commit script has been sent, before its reply: a read issued now leaves in the same
   * write and runs right after the commit (the reply's sync record, without a round trip of its own).
   */
  onCommitSent?: (() => void) | undefined;
}

/** A newer daemon holds the PBX connection this command came from: the command must not be applied. */
export class FencedError extends Error {
  constructor(readonly fence: Fence) {
    super(`fenced: connection ${fence.connection} has a newer holder than token ${fence.token}`);
    this.name = 'FencedError';
  }
}

/** See UserService's `desiredFingerprint`; null when the user has no PBX extension. */
export type DesiredFingerprint = (state: UserState, catalog: Catalog, now: string) => string | null;

export interface ExecuteResult {
  state: UserState;
  changed: boolean;
  events: DomainEvent[];
}

export class UserService {
  /** Told the due times (ms) of the timers each commit scheduled (Timers wakes for the earliest it knows). */
  onTimersCommitted: ((dueMs: number[]) => void) | undefined;

  constructor(
    private readonly store: UserStore,
    private readonly catalog: CatalogCache,
    private readonly config: DecideConfig,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly clock: () => Date,
    /** The fingerprint of the PBX settings a state asks for (sync/desired.ts), committed with the state. */
    private readonly desiredFingerprint: DesiredFingerprint,
  ) {}

  async get(userId: string): Promise<UserState> {
    const state = await this.store.load(userId);
    if (!state) throw new ApiError('USER_NOT_FOUND', `no user "${userId}"`, { id: userId });
    return state;
  }

  async execute(userId: string, command: Command, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    let catalogRefreshed = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await this.loadForCommand(userId, command);
      checkExpectedVersion(state, options.expectedVersion);
      // Every heartbeat of a known user is recorded cheaply; only one that changes something commits (connection.ts).
      if (command.type === 'heartbeat' && attempt === 0) {
        await this.store.touch(userId, this.clock().toISOString());
      }
      const catalog = await this.catalog.get();
      const result = decide(state, command, {
        catalog,
        now: this.clock().toISOString(),
        config: this.config,
      });
      // The cached catalog learns of another daemon's edits through pub/sub, a moment later. A type created
      // through daemon A and selected at once through daemon B must not be "not found": on a miss, re-read the
      // catalog once and decide again (read-your-writes across daemons; a real miss costs one extra read).
      if (!result.ok && result.error.code === 'STATUS_TYPE_NOT_FOUND' && !catalogRefreshed) {
        catalogRefreshed = true;
        await this.catalog.refresh();
        continue;
      }
      if (!result.ok) throw result.error;
      if (!result.changed) return { state, changed: false, events: [] };
      const now = this.clock().toISOString();
      const sync = { desired: this.desiredFingerprint(result.next, catalog, now), at: now };
      // Timers are scheduled by the commit itself (the partition's timer set): none can be lost between the two.
      const committing = this.store.commit(
        state,
        result.next,
        result.events,
        options.fence,
        sync,
        result.timers,
      );
      options.onCommitSent?.();
      const outcome = await committing;
      if (!outcome.ok && outcome.reason === 'fenced' && options.fence) throw new FencedError(options.fence);
      if (!outcome.ok && outcome.reason === 'type-gone') {
        // Deleted (or being deleted) after this daemon's catalog said it exists: re-read it and decide again once.
        if (catalogRefreshed) throw typeGone(result.next);
        catalogRefreshed = true;
        await this.catalog.refresh();
        continue;
      }
      if (outcome.ok) {
        this.record(result.events);
        if (result.timers.length > 0) this.onTimersCommitted?.(result.timers.map((t) => Date.parse(t.dueAt)));
        return { state: result.next, changed: true, events: result.events };
      }
      this.metrics.commitRetries.inc();
      if (options.expectedVersion !== undefined) break;
    }
    if (options.expectedVersion !== undefined) {
      throw new ApiError('VERSION_CONFLICT', 'the user changed meanwhile', {
        expected: options.expectedVersion,
      });
    }
    this.log.warn({ userId, command: command.type }, 'commit kept losing races');
    throw new ApiError('VERSION_CONFLICT', 'the user kept changing; try again', {});
  }

  /** `expectedVersion` (If-Match) makes the delete conditional, like any other write to the user (README "Routes"). */
  async delete(userId: string, expectedVersion?: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await this.get(userId);
      checkExpectedVersion(state, expectedVersion);
      const outcome = await this.store.delete(state, { at: this.clock().toISOString() });
      if (outcome === 'deleted') await this.store.forgetLastSeen(userId);
      if (outcome !== 'version-changed') return;
    }
    throw new ApiError('VERSION_CONFLICT', 'the user kept changing; try again', {});
  }

  /**
   * When the connection timer for `command` should really fire, given the heartbeats recorded since it was set:
   * `{ fireAt }` (epoch ms on this daemon's clock) to move it on, or the command to execute now, carrying the live
   * lastSeen so decide() does not take it for stale. A timer that fires early (a retry, promoted jobs) waits too.
   */
  async connectionDue(
    userId: string,
    command: Extract<Command, { type: 'connectionTimeout' }>,
  ): Promise<{ fireAt: number; command: typeof command } | { command: typeof command }> {
    if (command.rearmed) return { command }; // due a timeout after the cancel, not after lastSeen
    const state = await this.store.load(userId);
    const live = state?.connection.state === 'online' ? state.connection.lastSeen : null;
    const lastSeen = live && Date.parse(live) > Date.parse(command.lastSeen) ? live : command.lastSeen;
    const moved = lastSeen === command.lastSeen ? command : { ...command, lastSeen };
    const fireAt = Date.parse(lastSeen) + this.config.connectionTimeoutSeconds * 1000;
    return fireAt > this.clock().getTime() ? { fireAt, command: moved } : { command: moved };
  }

  private async loadForCommand(userId: string, command: Command): Promise<UserState> {
    const state = await this.store.load(userId);
    if (state) return state;
    // A new user starts with an empty entry so that the first upsert is a real, committed change (version 1).
    if (command.type === 'upsertDirectory') {
      return newUserState(userId, EMPTY_DIRECTORY, this.clock().toISOString());
    }
    throw new ApiError('USER_NOT_FOUND', `no user "${userId}"`, { id: userId });
  }

  private warnStale(event: DomainEvent): void {
    this.log.warn(staleFields(event), 'stale activity ended: open longer than status.maxActivityHours');
  }

  private record(events: DomainEvent[]): void {
    for (const event of events) {
      if (event.type === 'user.activity.ended' && event.data.cause === 'stale') this.warnStale(event);
      if (event.type !== 'user.status.changed') continue;
      const cause = String(event.data.cause ?? 'user');
      this.metrics.statusChanges.inc({ cause });
      if (cause === 'deferred') this.metrics.deferredApplied.inc();
    }
  }
}

/** An activity open past status.maxActivityHours: its end was most likely lost (PBX event, integration). */
function staleFields(event: DomainEvent) {
  const activity = event.data.activity as { id: string; kind: string; source: string; since: string };
  return {
    userId: event.userId,
    activityId: activity.id,
    kind: activity.kind,
    source: activity.source,
    since: activity.since,
  };
}

function typeGone(next: UserState): ApiError {
  const id = next.upcoming?.id ?? next.status.id;
  return new ApiError('STATUS_TYPE_NOT_FOUND', `status type "${id}" was deleted`, { statusId: id });
}

function checkExpectedVersion(state: UserState, expected: number | undefined): void {
  if (expected !== undefined && state.version !== expected) {
    throw new ApiError('VERSION_CONFLICT', `the user is at version ${state.version}, not ${expected}`, {
      expected,
      current: state.version,
    });
  }
}
