/**
 * Property tests: long random command sequences against a catalog with limits and allowances, with a
 * clock that only moves forward and a timer wheel that fires every scheduled timer when it is due (as
 * the bridge's durable timers do), plus random stale or early timer commands on top. An admin edits
 * the catalog now and then (another catalog, possibly without `lunch`), so the checks made when a
 * deferred status is finally applied are exercised too. After every decide() the invariants of the
 * status model must hold, and the emitted spans must tile time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actorOf,
  autoEndDue,
  builtInStatusTypes,
  decide,
  isEngaged,
  newUserState,
  openSpan,
} from '../../src/status/index.js';
import type {
  Actor,
  ActivityKind,
  Catalog,
  Command,
  DecideConfig,
  HistorySpan,
  StatusType,
  TimerRequest,
  UserState,
} from '../../src/status/index.js';
import { ACTORS, DIRECTORY, T0, USER, at } from './fixtures.js';

const TYPE_IDS = ['active', 'idle', 'on-break', 'offline', 'lunch', 'training'];
const STATUS_IDS = [...TYPE_IDS, 'ghost'];
const ACTIVITY_IDS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'];
const ACTOR_LIST: Actor[] = Object.values(ACTORS);
const KINDS: ActivityKind[] = ['call', 'call', 'task', 'chat', 'interaction'];

const typeArb = (id: string) =>
  fc
    .record({
      keepOnConnectionLoss: fc.boolean(),
      canEndShift: fc.boolean(),
      limitPerShift: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 2 }),
      allowedMinutes: fc.option(fc.integer({ min: 0, max: 30 }), { freq: 2 }),
    })
    .map((fields): StatusType => {
      const base = builtInStatusTypes(T0).find((t) => t.id === id) ?? builtInStatusTypes(T0)[0]!;
      return { ...base, id, name: id, ...fields };
    });

const catalogArb = (ids: string[]): fc.Arbitrary<Catalog> =>
  fc.tuple(...ids.map(typeArb)).map((types) => new Map(types.map((t) => [t.id, t])));
/** The catalog, and the one an admin's edits turn it into (possibly with `lunch` deleted). */
const catalogsArb = fc.tuple(
  catalogArb(TYPE_IDS),
  fc
    .constantFrom(
      TYPE_IDS,
      TYPE_IDS.filter((id) => id !== 'lunch'),
    )
    .chain(catalogArb),
);

const configArb: fc.Arbitrary<DecideConfig> = fc.record({
  requireShift: fc.boolean(),
  connectionTimeoutSeconds: fc.constant(90),
  wrapUpSeconds: fc.constantFrom(0, 30, 120),
  wrapUpMaxSeconds: fc.constantFrom(0, 60, 600),
  missedOffers: fc.option(
    fc.record({
      threshold: fc.integer({ min: 1, max: 3 }),
      statusId: fc.constantFrom('idle', 'lunch', 'ghost'),
    }),
    { freq: 3 },
  ),
  // Short enough that runs of a few hours reach every automatic end.
  shift: fc.record({
    endAfterOfflineMinutes: fc.option(fc.integer({ min: 1, max: 90 }), { freq: 2 }),
    maxHours: fc.option(fc.integer({ min: 1, max: 6 }), { freq: 2 }),
    dayBoundary: fc.option(fc.constantFrom('08:30', '10:00', '23:59'), { freq: 2 }),
  }),
  timezone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
  maxActivityHours: fc.option(fc.constantFrom(1, 2), { freq: 2 }),
});
const OFFER_IDS = ['o1', 'o2', 'o3', 'o4'];
const offerArb = fc.constantFrom(...OFFER_IDS);

/**
 * A command, or a template resolved against the state when it runs: timers that are not stale, a new
 * activity, the end of an open one. Random ids and times cover the duplicate and stale cases.
 */
type Template =
  | Command
  | { type: 'freshTimeout' }
  | { type: 'freshOverage' }
  | { type: 'freshWrapUp' }
  | { type: 'freshBegin'; kind: ActivityKind }
  | { type: 'freshEnd' }
  | { type: 'freshOffer' }
  | { type: 'freshMiss' }
  | { type: 'freshShiftAutoEnd' }
  | { type: 'freshStale' }
  | { type: 'freshRearmed' };

const statusArb = fc.constantFrom(...STATUS_IDS);
const activityArb = fc.constantFrom(...ACTIVITY_IDS);
const templateArb: fc.Arbitrary<Template> = fc.oneof(
  {
    arbitrary: fc.record({
      type: fc.constant('selectStatus' as const),
      statusId: statusArb,
      actor: fc.constantFrom(...ACTOR_LIST),
    }),
    weight: 6,
  },
  { arbitrary: fc.constant({ type: 'cancelUpcoming' as const, actor: ACTORS.user }), weight: 1 },
  {
    arbitrary: fc.record({
      type: fc.constant('beginActivity' as const),
      activity: fc.record({ id: activityArb, kind: fc.constantFrom(...KINDS), source: fc.constant('api') }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ type: fc.constant('freshBegin' as const), kind: fc.constantFrom(...KINDS) }),
    weight: 3,
  },
  { arbitrary: fc.record({ type: fc.constant('endActivity' as const), activityId: activityArb }), weight: 2 },
  { arbitrary: fc.constant({ type: 'freshEnd' as const }), weight: 5 },
  { arbitrary: fc.constant({ type: 'endWrapUp' as const }), weight: 1 },
  { arbitrary: fc.constant({ type: 'resumeInterrupted' as const, actor: ACTORS.pbx }), weight: 2 },
  {
    arbitrary: fc.record({
      type: fc.constant('extendWrapUp' as const),
      seconds: fc.integer({ min: 1, max: 60 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('beginOffer' as const),
      offer: fc.record({ id: offerArb, source: fc.constant('freepbx:main') }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ type: fc.constant('freshOffer' as const) }), weight: 2 },
  {
    arbitrary: fc.record({
      type: fc.constant('endOffer' as const),
      offerId: offerArb,
      answered: fc.boolean(),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ type: fc.constant('freshMiss' as const) }), weight: 3 },
  {
    arbitrary: fc.record({
      type: fc.constant('missOffer' as const),
      offerId: offerArb,
      source: fc.constant('freepbx:main'),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ type: fc.constant('wrapUpElapsed' as const), activityId: activityArb }),
    weight: 1,
  },
  { arbitrary: fc.constant({ type: 'heartbeat' as const }), weight: 2 },
  { arbitrary: fc.constant({ type: 'freshTimeout' as const }), weight: 1 },
  { arbitrary: fc.constant({ type: 'freshOverage' as const }), weight: 1 },
  { arbitrary: fc.constant({ type: 'freshWrapUp' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      type: fc.constant('connectionTimeout' as const),
      lastSeen: fc.nat(20_000).map(at),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('overageDue' as const),
      statusId: statusArb,
      since: fc.nat(20_000).map(at),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('startShift' as const),
      statusId: statusArb,
      actor: fc.constant(ACTORS.user),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant({ type: 'endShift' as const, actor: ACTORS.user }), weight: 2 },
  {
    arbitrary: fc.record({
      type: fc.constant('selectStatus' as const),
      statusId: statusArb,
      force: fc.constant(true),
      reason: fc.constant('coaching'),
      actor: fc.constant(ACTORS.supervisor),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.constant({ type: 'endShift' as const, force: true, actor: ACTORS.supervisor }),
    weight: 1,
  },
  { arbitrary: fc.record({ type: fc.constant('replanOverage' as const), statusId: statusArb }), weight: 1 },
  { arbitrary: fc.constant({ type: 'freshShiftAutoEnd' as const }), weight: 1 },
  { arbitrary: fc.constant({ type: 'freshStale' as const }), weight: 1 },
  { arbitrary: fc.constant({ type: 'freshRearmed' as const }), weight: 1 },
  { arbitrary: fc.constant({ type: 'cancelUpcoming' as const, actor: ACTORS.supervisor }), weight: 1 },
  {
    arbitrary: fc.record({
      type: fc.constant('upsertDirectory' as const),
      directory: fc.constantFrom(null, 0, 10).map((wrapUpSeconds) => ({ ...DIRECTORY, wrapUpSeconds })),
    }),
    weight: 1,
  },
);

const advanceArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 60 }),
  fc.integer({ min: 60, max: 1200 }),
);
/** [seconds to advance, command, whether the edited catalog is in force] */
const stepsArb = fc.array(
  fc.tuple(
    advanceArb,
    templateArb,
    fc.nat(2).map((n) => n === 0),
  ),
  {
    minLength: 1,
    maxLength: 60,
    size: 'max', // the default size would cap sequences at about 10 commands
  },
);

function resolve(template: Template, state: UserState, now: string): Command {
  switch (template.type) {
    case 'freshBegin':
      return { type: 'beginActivity', activity: { id: `n-${now}`, kind: template.kind, source: 'api' } };
    case 'freshEnd':
      return { type: 'endActivity', activityId: state.activities[0]?.id ?? 'none' };
    case 'freshTimeout':
      return { type: 'connectionTimeout', lastSeen: state.connection.lastSeen ?? now };
    case 'freshOverage':
      return { type: 'overageDue', statusId: state.status.id, since: state.status.since };
    case 'freshWrapUp':
      return {
        type: 'wrapUpElapsed',
        activityId: state.wrapUp?.activityId ?? 'none',
        ...(state.wrapUp ? { until: state.wrapUp.until } : {}),
      };
    case 'freshOffer':
      return { type: 'beginOffer', offer: { id: `r-${now}`, source: 'freepbx:main' } };
    case 'freshMiss':
      return { type: 'missOffer', offerId: state.offers[0]?.id ?? `m-${now}`, source: 'freepbx:main' };
    case 'freshShiftAutoEnd':
      return { type: 'shiftAutoEnd', shiftId: state.shift?.id ?? 'none' };
    case 'freshStale': {
      const activity = state.activities[0];
      return { type: 'activityStale', activityId: activity?.id ?? 'none', since: activity?.since ?? now };
    }
    case 'freshRearmed':
      return { type: 'connectionTimeout', lastSeen: state.connection.lastSeen ?? now, rearmed: true };
    default:
      return template;
  }
}

/** What the runs exercised, so a generator that stops reaching the interesting paths is noticed. */
const seen = {
  deferred: 0,
  limitRefused: 0,
  upcomingDropped: 0,
  connectionLost: 0,
  overage: 0,
  shiftEnded: 0,
  shiftAutoEnded: 0,
  stale: 0,
  offlineHeld: 0,
  forced: 0,
  missedOffer: 0,
  missedOfferMove: 0,
  wrapUpExtended: 0,
};

class Simulation {
  state: UserState = newUserState(USER, DIRECTORY, T0);
  private changes = 0;
  /** The last change was a wrap-up extension (which must stay within wrapUpMaxSeconds). */
  private extendedLast = false;
  private lastSpanEnd = T0;
  /** The status the last applied change entered, and its cause. */
  private entered: { id: string; cause: string } = { id: 'offline', cause: 'user' };
  private readonly timers = new Map<string, TimerRequest>();
  private catalog: Catalog;

  constructor(
    private readonly catalogs: [Catalog, Catalog],
    private readonly config: DecideConfig,
  ) {
    this.catalog = catalogs[0];
  }

  /** Fire every timer due by `now`, earliest first, then run the command at `now`. */
  step(seconds: number, template: Template, edited: boolean): void {
    const now = at(seconds);
    this.catalog = this.catalogs[edited ? 1 : 0];
    for (let due = this.nextDue(now); due; due = this.nextDue(now)) {
      this.timers.delete(JSON.stringify(due));
      this.run(due.command, due.dueAt);
    }
    this.run(resolve(template, this.state, now), now);
  }

  private nextDue(now: string): TimerRequest | undefined {
    const due = [...this.timers.values()].filter((t) => Date.parse(t.dueAt) <= Date.parse(now));
    return due.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))[0];
  }

  private run(command: Command, now: string): void {
    const prev = this.state;
    const snapshot = structuredClone(prev);
    const result = decide(prev, command, { catalog: this.catalog, config: this.config, now });
    expect(prev).toEqual(snapshot); // decide never mutates its input, refused or not
    if (!result.ok) {
      if (result.error.code === 'STATUS_LIMIT_REACHED') seen.limitRefused++;
      return;
    }
    if (!result.changed) {
      expect(result.next).toBe(prev);
      expect(result.events).toEqual([]);
      expect(result.timers).toEqual([]);
      return;
    }
    this.changes++;
    expect(result.next.version).toBe(prev.version + 1);
    expect(result.next.version).toBe(this.changes);
    for (const event of result.events) expect(event).toMatchObject({ userId: USER, at: now });
    // As in the bridge, a timer is one job per key, due time and command: a later one does not replace it.
    for (const timer of result.timers) this.timers.set(JSON.stringify(timer), timer);
    this.extendedLast = command.type === 'extendWrapUp';
    for (const event of result.events) this.observe(event.type, event.data, prev, result.next);
    for (const event of result.events) expect(event.actor).toEqual(actorOf(command));
    if (!('force' in command && command.force)) this.checkEntriesWithinLimits(prev, result.next);
    if (prev.upcoming && !result.next.upcoming) expect(result.next.lastUpcoming?.id).toBe(prev.upcoming.id);
    this.state = result.next;
    this.checkInvariants(now);
  }

  /** Usage grows only by entries the limit in force allowed (an admin may lower a limit below usage). */
  private checkEntriesWithinLimits(prev: UserState, next: UserState): void {
    const before = prev.shift?.id === next.shift?.id ? (prev.shift?.usage ?? {}) : {};
    for (const [id, used] of Object.entries(next.shift?.usage ?? {})) {
      if (used === (before[id] ?? 0)) continue;
      expect(used).toBe((before[id] ?? 0) + 1);
      const limit = this.catalog.get(id)?.limitPerShift ?? null;
      if (limit !== null) expect(used).toBeLessThanOrEqual(limit);
    }
  }

  private observe(type: string, data: Record<string, unknown>, prev: UserState, next: UserState): void {
    if (type === 'user.status.changed') this.checkSpan(data.span as HistorySpan, next, data);
    if (type === 'user.status.changed' && data.cause === 'deferred') seen.deferred++;
    if (type === 'user.status.changed' && data.cause === 'connection-lost') seen.connectionLost++;
    if (type === 'user.upcoming.changed' && /_/.test(String(data.reason))) seen.upcomingDropped++;
    if (type === 'user.overage.started') seen.overage++;
    if (type === 'user.shift.ended') seen.shiftEnded++;
    if (type === 'user.shift.ended' && data.cause === 'shift-auto-end') seen.shiftAutoEnded++;
    if (type === 'user.activity.ended' && data.cause === 'stale') seen.stale++;
    if (type === 'user.upcoming.changed' && data.reason === 'CONNECTION_LOST') seen.offlineHeld++;
    if (type === 'user.status.changed' && typeof data.reason === 'string') seen.forced++;
    if (type === 'user.offer.missed') seen.missedOffer++;
    if (type === 'user.status.changed' && data.cause === 'missed-offer') seen.missedOfferMove++;
    if (type === 'user.wrap-up.extended') seen.wrapUpExtended++;
  }

  /**
   * One command can apply two statuses (a wrap-up that ran out applies its upcoming status first, then the
   * command applies its own), so each span is checked against the status the previous event entered.
   */
  private checkSpan(span: HistorySpan, next: UserState, data: Record<string, unknown>): void {
    expect(span.from).toBe(this.lastSpanEnd);
    expect(span.to).toBe(next.status.since);
    expect(span.seconds).toBe((Date.parse(span.to!) - Date.parse(span.from)) / 1000);
    expect(span.overageSeconds).toBeGreaterThanOrEqual(0);
    expect(span.overageSeconds).toBeLessThanOrEqual(span.seconds);
    expect(span).toMatchObject({ statusId: this.entered.id, cause: this.entered.cause });
    expect(span.actor).toEqual(
      expect.objectContaining({ role: expect.any(String), name: expect.any(String) }),
    );
    if (span.cause === 'deferred') expect(span.requestedBy).not.toBeNull();
    this.lastSpanEnd = span.to!;
    this.entered = { id: String(data.to), cause: String(data.cause) };
  }

  private checkInvariants(now: string): void {
    const { state, catalog, config } = this;
    expect(state.upcoming?.id).not.toBe(state.status.id);
    if (!isEngaged(state, now)) expect(state.upcoming).toBeNull();
    // What is due is never left waiting: a held Offline, a due shift end, a stale activity.
    if (!isEngaged(state, now)) expect(state.pendingOffline).toBeNull();
    if (!isEngaged(state, now)) expect(autoEndDue(state, { catalog, config, now })).toBeNull();
    const maxMs = (config.maxActivityHours ?? Infinity) * 3_600_000;
    for (const a of state.activities) expect(Date.parse(now) - Date.parse(a.since)).toBeLessThan(maxMs);
    // One stale timer per user, and always one while something is open.
    if (state.activities.length > 0 && config.maxActivityHours) expect(state.staleCheckAt).not.toBeNull();
    if (config.requireShift && !state.shift) expect(state.status.id).toBe('offline');
    expect(new Set(state.activities.map((a) => a.id)).size).toBe(state.activities.length);
    expect(new Set(state.offers.map((o) => o.id)).size).toBe(state.offers.length);
    // An offer never engages: with nothing else going on, a ringing phone leaves no status waiting.
    if (state.activities.length === 0 && !state.wrapUp) expect(state.upcoming).toBeNull();
    if (state.wrapUp && this.extendedLast) {
      const length = (Date.parse(state.wrapUp.until) - Date.parse(state.wrapUp.since)) / 1000;
      expect(length).toBeLessThanOrEqual(config.wrapUpMaxSeconds);
    }
    expect(openSpan(state, catalog, now).from).toBe(this.lastSpanEnd);
    // A remembered phone-side interruption always belongs to the current or upcoming status, never to itself.
    const interrupted = state.interrupted;
    if (interrupted) {
      expect([state.status.id, state.upcoming?.id]).toContain(interrupted.by);
      expect(interrupted.statusId).not.toBe(interrupted.by);
    }
  }
}

describe('decide over random command sequences', () => {
  it('keeps the invariants of the status model and tiles time with its spans', () => {
    fc.assert(
      fc.property(catalogsArb, configArb, stepsArb, (catalogs, config, steps) => {
        const simulation = new Simulation(catalogs, config);
        let seconds = 0;
        for (const [advance, template, edited] of steps)
          simulation.step((seconds += advance), template, edited);
      }),
      // 1,500 runs: the rarest paths (wrap-up extended, a move after missed offers) come up ~4 times in 400 runs,
      // so 400 left one unreached in about 2 % of CI runs (a random seed, not a defect); now ~15 times.
      { numRuns: 1500 },
    );
    // The runs must reach the paths the invariants are about, or they prove little.
    for (const [path, count] of Object.entries(seen)) expect(count, path).toBeGreaterThan(0);
  });
});
