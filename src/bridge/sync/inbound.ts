/**
 * PBX → presence-bridge. Adapter events become commands on the user mapped to the extension: calls become
 * activities (source "<kind>:<connection>"), ringing calls offers (begun, ended answered or not, missed), phone-side
 * presence changes become status selections (cause pbx) through the configured map, our own echoes ignored. Events
 * of one extension are handled strictly in order (and different extensions side by side); a connection change waits
 * for every event before it and every later event waits for it. On every (re)connect a snapshot is diffed with the
 * open activities and offers (calls that ended during the gap end, calls that started begin) and every user of the
 * connection is re-synced. Live events arriving meanwhile wait. A phone-side change the map cannot follow (no entry,
 * the status refused, nothing to go back to) is reverted at once by a forced sync of that user, and visibly: a
 * `pbx.change.reverted` event and a log line.
 */
import type { Logger } from 'pino';
import type { PbxAdapter, PbxEvent, PbxSnapshot, PhonePresence } from '../../adapters/pbx.js';
import { pbxActor, type Command, type UserState } from '../../status/index.js';
import { ApiError } from '../errors.js';
import type { Fence } from '../ha/lease.js';
import { isRedisUnavailable } from '../redis/unavailable.js';
import { FencedError } from '../users/user-service.js';
import type { Metrics } from '../metrics.js';
import type { UserService } from '../users/user-service.js';
import type { UserStore } from '../users/user-store.js';
import type { ExtensionIndex } from './extension-index.js';
import { factKeys, isEcho, mappedStatus, RESUME_INTERRUPTED } from './presence-map.js';
import { settingsOf, type RevertNotice } from './revert-notices.js';
import type { SyncRecords } from './sync-record.js';

const RETRY_FOR_MS = 10 * 60_000;
/** Users whose calls a reconcile compares with the snapshot per read of their states. */
const DIFF_BATCH = 200;

export interface InboundDeps {
  users: UserService;
  store: UserStore;
  extensions: ExtensionIndex;
  records: SyncRecords;
  metrics: Metrics;
  log: Logger;
  reconcile: (connection: string) => Promise<unknown>;
  /** Forced sync of one user that puts a phone-side change back, and reports it (SyncPipeline.revert). */
  revert: (notice: RevertNotice) => Promise<void>;
  onConnectionChange: (connection: string, connected: boolean, reason?: string) => Promise<void>;
  /** The fencing token of this daemon's lease on the connection; every command carries it. */
  fence: () => Fence | null;
  /** A commit was refused because a newer holder took over: stop handling this connection at once. */
  onFenced: () => void;
}

export class PbxInbound {
  private chain: Promise<void> = Promise.resolve();
  /** The last queued event of each extension (removed once handled); they all start after `chain`. */
  private readonly lanes = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly source: string;

  constructor(
    private readonly adapter: PbxAdapter,
    private readonly presenceMap: Readonly<Record<string, string>>,
    private readonly deps: InboundDeps,
  ) {
    this.source = `${adapter.kind}:${adapter.id}`;
  }

  /**
   * The adapter's event sink: queue, never throw back into the adapter. Perf: one queue per extension (= per user)
   * instead of one per connection; with a single queue every call end waited behind all other agents' events and
   * their Redis round trips (bench/: 500 call ends/s, deferred status p50 ~10× lower with per-extension queues).
   */
  readonly sink = (event: PbxEvent): void => {
    const run = (after: Promise<unknown>): Promise<void> =>
      after
        .then(() => this.handleWithRetry(event))
        .catch((err: unknown) => {
          this.deps.log.error(
            { pbx: this.adapter.id, event: event.type, err: (err as Error).message },
            'inbound pbx event failed',
          );
        });
    if (event.type === 'connected' || event.type === 'disconnected' || event.type === 'resyncRequested') {
      const before = Promise.all([this.chain, ...this.lanes.values()]);
      this.lanes.clear();
      this.chain = run(before);
      return;
    }
    const { extension } = event;
    const tail = run(this.lanes.get(extension) ?? this.chain);
    this.lanes.set(extension, tail);
    void tail.then(() => {
      if (this.lanes.get(extension) === tail) this.lanes.delete(extension);
    });
  };

  /**
   * A PBX event cannot be asked for again, so while Redis is away it is retried (in order: the extension's later
   * events wait) rather than dropped; after RETRY_FOR_MS the next reconnect's snapshot reconcile is the safety net.
   */
  private async handleWithRetry(event: PbxEvent): Promise<void> {
    const deadline = Date.now() + RETRY_FOR_MS;
    for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await this.handle(event);
      } catch (err) {
        if (!isRedisUnavailable(err) || Date.now() > deadline || this.stopped) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Resolves when every event received so far has been handled (tests, shutdown). */
  idle(): Promise<void> {
    return Promise.all([this.chain, ...this.lanes.values()]).then(() => undefined);
  }

  private async handle(event: PbxEvent): Promise<void> {
    switch (event.type) {
      case 'activityStarted':
        return this.forExtension(
          event.extension,
          { type: 'beginActivity', activity: { id: event.activityId, kind: 'call', source: this.source } },
          event.at,
        );
      case 'activityEnded':
        return this.forExtension(
          event.extension,
          { type: 'endActivity', activityId: event.activityId },
          event.at,
        );
      case 'offerStarted':
        return this.forExtension(
          event.extension,
          { type: 'beginOffer', offer: { id: event.offerId, source: this.source } },
          event.at,
        );
      case 'offerEnded':
        return this.forExtension(
          event.extension,
          { type: 'endOffer', offerId: event.offerId, answered: event.answered },
          event.at,
        );
      case 'offerMissed':
        return this.forExtension(
          event.extension,
          { type: 'missOffer', offerId: event.offerId, source: this.source },
          event.at,
        );
      case 'presenceChanged':
        return this.presence(event.extension, event.presence);
      case 'connected':
        await this.deps.onConnectionChange(this.adapter.id, true);
        return this.reconcile();
      case 'disconnected':
        return this.deps.onConnectionChange(this.adapter.id, false, event.reason);
      case 'resyncRequested':
        this.deps.log.info({ pbx: this.adapter.id, reason: event.reason }, 're-syncing every user');
        await this.deps.reconcile(this.adapter.id);
        return;
    }
  }

  private async forExtension(extension: string, command: Command, at: Date): Promise<void> {
    const userId = await this.deps.extensions.userOf(this.adapter.id, extension);
    if (!userId) return; // an extension no user is mapped to: not ours to track
    await this.execute(userId, command);
    this.deps.metrics.eventToApply.observe(Math.max(0, Date.now() - at.getTime()) / 1000);
  }

  private async presence(extension: string, presence: PhonePresence): Promise<void> {
    // Echo first, then the map: an unmapped change is no longer ignored but reverted, so every fact needs the user
    // and the last push (2 round trips per echo; bench/ burst: about +6 % daemon CPU for 10,000 breaks), unless
    // the fact is what this daemon pushed there just now (recent-pushes.ts).
    const recent = this.deps.records.recent.get(this.adapter.id, extension);
    if (recent && isEcho(presence, recent.pushed, this.adapter.kind)) return;
    const userId = await this.deps.extensions.userOf(this.adapter.id, extension);
    if (!userId) return;
    const record = await this.deps.records.get(userId);
    if (isEcho(presence, record?.pushed ?? null, this.adapter.kind)) return;
    const target = mappedStatus(presence, this.presenceMap);
    const revert = (reason: RevertNotice['reason'], code: string | null = null) =>
      this.revert({
        userId,
        extension,
        change: factKeys(presence),
        settings: settingsOf(presence),
        reason,
        code,
      });
    if (!target) return revert('unmapped');
    const resume = target === RESUME_INTERRUPTED;
    const outcome = await this.execute(
      userId,
      resume ? { type: 'resumeInterrupted' } : { type: 'selectStatus', statusId: target },
    );
    if (outcome.refused) return revert('refused', outcome.refused);
    if (resume && outcome.changed === false) return revert('nothing-to-resume');
  }

  /** Puts the PBX back to the user's status at once, visibly (the bridge owns the status, not the phone). */
  private async revert(notice: Omit<RevertNotice, 'connection'>): Promise<void> {
    if (this.stopped || !this.deps.fence()) return;
    await this.deps.revert({ ...notice, connection: this.adapter.id });
  }

  /**
   * Domain refusals (limit reached, unknown type) are logged and returned, not retried: the PBX cannot be told "no".
   * `changed` is undefined when nothing was decided (stopped, not the holder, fenced, a lost race).
   */
  private async execute(userId: string, command: Command): Promise<{ changed?: boolean; refused?: string }> {
    if (this.stopped) return {};
    const fence = this.deps.fence();
    if (!fence) return {}; // not (or no longer) the holder: the new holder's snapshot covers this
    try {
      // Everything from here is the phone system's doing (spans and events say so).
      const actor = pbxActor(this.source);
      const result = await this.deps.users.execute(userId, { ...command, actor }, { fence });
      return { changed: result.changed };
    } catch (err) {
      if (err instanceof FencedError) {
        this.stopped = true;
        this.deps.onFenced();
        return {};
      }
      if (err instanceof ApiError && err.code !== 'VERSION_CONFLICT') return {};
      if ((err as Error).name === 'DomainError') {
        const code = (err as { code?: string }).code ?? 'REFUSED';
        this.deps.log.info({ userId, command: command.type, code }, 'pbx-originated change refused');
        return { refused: code };
      }
      throw err;
    }
  }

  private async reconcile(): Promise<void> {
    let snapshot: PbxSnapshot;
    try {
      snapshot = await this.adapter.snapshot();
    } catch (err) {
      this.deps.log.warn(
        { pbx: this.adapter.id, err: (err as Error).message },
        'snapshot failed; will retry on next connect',
      );
      return;
    }
    const users = await this.deps.extensions.usersOf(this.adapter.id);
    const calls = byExtension(snapshot.calls.map((c) => [c.extension, c.activityId]));
    const offers = snapshot.offers && byExtension(snapshot.offers.map((o) => [o.extension, o.offerId]));
    // Perf: the states are read a batch at a time (one pipelined write each, not one round trip per user), and
    // only users whose calls differ from the snapshot's get a command.
    const entries = [...users];
    for (let i = 0; i < entries.length; i += DIFF_BATCH) {
      const batch = entries.slice(i, i + DIFF_BATCH);
      const states = await this.deps.store.loadMany(batch.map(([, userId]) => userId));
      await Promise.all(
        batch.map(([extension, userId], j) => {
          const offersOnPbx = offers && (offers.get(extension) ?? new Set<string>());
          const state = states[j];
          return state
            ? this.diffUser(userId, state, calls.get(extension) ?? new Set(), offersOnPbx)
            : undefined;
        }),
      );
    }
    await this.deps.reconcile(this.adapter.id);
  }

  /** `offersOnPbx` undefined: the adapter cannot see ringing calls, so the user's offers are left alone. */
  private async diffUser(
    userId: string,
    state: UserState,
    onPbx: Set<string>,
    offersOnPbx?: Set<string>,
  ): Promise<void> {
    const ours = state.activities.filter((a) => a.source === this.source).map((a) => a.id);
    for (const id of ours.filter((id) => !onPbx.has(id)))
      await this.execute(userId, { type: 'endActivity', activityId: id });
    for (const id of [...onPbx].filter((id) => !ours.includes(id))) {
      await this.execute(userId, {
        type: 'beginActivity',
        activity: { id, kind: 'call', source: this.source },
      });
    }
    if (offersOnPbx) await this.diffOffers(userId, state, offersOnPbx);
  }

  /** A ringing call that stopped while we were not looking ended unanswered (answered ones are activities now). */
  private async diffOffers(userId: string, state: UserState, onPbx: Set<string>): Promise<void> {
    const ours = state.offers.filter((o) => o.source === this.source).map((o) => o.id);
    for (const id of ours.filter((id) => !onPbx.has(id)))
      await this.execute(userId, { type: 'endOffer', offerId: id, answered: false });
    for (const id of [...onPbx].filter((id) => !ours.includes(id)))
      await this.execute(userId, { type: 'beginOffer', offer: { id, source: this.source } });
  }
}

/** [extension, id] pairs → extension → ids. */
function byExtension(pairs: Array<[string, string]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [extension, id] of pairs) out.set(extension, (out.get(extension) ?? new Set()).add(id));
  return out;
}
