/**
 * decide(): the single decision point of the status model (docs/architecture.md, "Status engine").
 * Pure, synchronous and total: the same state, command and context always give the same result, and
 * nothing is thrown. A refusal changes nothing; a no-op returns the input state itself; a change
 * returns the next state with version + 1 and the events and timers the store commits with it.
 *
 * Each command type has one handler (table below); the handlers share apply-status, deferral and
 * upcoming, where the rules that several commands have in common live.
 *
 * Before the handler runs, what is already due is settled, whether or not its timer has run (timers can be
 * late): an expired wrap-up ends, activities older than the maximum end (stale), and a shift due to end by
 * itself ends. So no command ever acts on a state that should have moved on.
 */
import { actorOf, systemActor } from './actor.js';
import { activityStale, beginActivity, endActivity, endStaleActivities } from './activities.js';
import { connectionTimeout, heartbeat } from './connection.js';
import type { DecideContext } from './context.js';
import { upsertDirectory } from './directory.js';
import { startDraft, type Draft, type Step } from './draft.js';
import { DomainError } from './errors.js';
import type { Command, Directory, DomainEvent, TimerRequest, UserState } from './model.js';
import { beginOffer, endOffer, missOffer } from './offers.js';
import { overageDue, replanOverage } from './overage.js';
import { cancelUpcoming, selectStatus } from './select-status.js';
import { settleShiftAutoEnd, shiftAutoEnd } from './shift-auto-end.js';
import { endShift, startShift } from './shift-commands.js';
import { OFFLINE } from './status-type.js';
import { isValidTime } from './time.js';
import { resumeInterrupted, trackInterruption } from './interruption.js';
import { endWrapUp, extendWrapUp, settleExpiredWrapUp, wrapUpElapsed } from './wrap-up.js';

export type { DecideContext } from './context.js';
export { isEngaged } from './engagement.js';
export { openSpan } from './spans.js';

export type DecideResult =
  | { ok: true; changed: boolean; next: UserState; events: DomainEvent[]; timers: TimerRequest[] }
  | { ok: false; error: DomainError };

type Handlers = {
  [T in Command['type']]: (d: Draft, command: Extract<Command, { type: T }>) => Step;
};

const HANDLERS: Handlers = {
  upsertDirectory,
  selectStatus,
  cancelUpcoming,
  startShift,
  endShift,
  beginActivity,
  endActivity,
  beginOffer,
  endOffer,
  missOffer,
  endWrapUp,
  extendWrapUp,
  wrapUpElapsed,
  resumeInterrupted,
  heartbeat,
  connectionTimeout,
  overageDue,
  replanOverage,
  shiftAutoEnd,
  activityStale,
};

export function decide(state: UserState, command: Command, ctx: DecideContext): DecideResult {
  if (!isValidTime(ctx.now)) return { ok: false, error: new DomainError('INVALID_TIME', { now: ctx.now }) };
  const draft = startDraft(state, ctx, actorOf(command));
  // TypeScript cannot correlate HANDLERS[command.type] with command; the mapped type above guarantees it.
  const handler = HANDLERS[command.type] as (d: Draft, c: Command) => Step;
  const settled = settleDue(draft, command);
  const step = handler(draft, command);
  if (step instanceof DomainError) return { ok: false, error: step };
  if (step === 'noop' && !settled) return { ok: true, changed: false, next: state, events: [], timers: [] };
  trackInterruption(draft, command, state);
  const next = { ...draft.state, version: state.version + 1 };
  return {
    ok: true,
    changed: true,
    next,
    events: draft.events.map((e) => withFinalShift(e, next)),
    timers: draft.timers,
  };
}

/**
 * `user.shift.started` is emitted when the shift opens, before the status that opened it is counted; it carries the
 * shift as committed (usage `{active: 1}`, like the state), not the empty record of that moment.
 */
function withFinalShift(event: DomainEvent, next: UserState): DomainEvent {
  if (event.type !== 'user.shift.started' || !next.shift) return event;
  const opened = event.data.shift as { id?: string } | undefined;
  return opened?.id === next.shift.id ? { ...event, data: { ...event.data, shift: next.shift } } : event;
}

/** Settles what is due before the command runs; returns whether anything changed. */
function settleDue(d: Draft, command: Command): boolean {
  // endWrapUp and wrapUpElapsed finish the wrap-up themselves (and must still see it).
  const wrapUp = command.type !== 'endWrapUp' && command.type !== 'wrapUpElapsed' && settleExpiredWrapUp(d);
  const stale = endStaleActivities(d);
  const shift = settleShiftAutoEnd(d);
  return wrapUp || stale || shift;
}

/** A user never stored before: Offline since `now`, no shift, connection unknown. */
export function newUserState(id: string, directory: Directory, now: string): UserState {
  return {
    id,
    version: 0,
    directory,
    status: {
      id: OFFLINE,
      since: now,
      cause: 'user',
      actor: systemActor('system'),
      requestedBy: null,
      reason: null,
    },
    upcoming: null,
    lastUpcoming: null,
    pendingOffline: null,
    activities: [],
    staleCheckAt: null,
    offers: [],
    endedOffers: [],
    missedOffers: { consecutive: 0, recent: [] },
    wrapUp: null,
    endedActivities: [],
    shift: null,
    overage: null,
    connection: { state: 'unknown', lastSeen: null },
  };
}
