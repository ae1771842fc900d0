/**
 * The user's state as the domain sees it, the commands that change it, and the events and timers a
 * change causes. decide() (decide.ts) is the only function that produces a new UserState.
 *
 * All times are ISO-8601 UTC strings so a state round-trips through JSON unchanged.
 */
import type { Actor } from './actor.js';

export type { Actor, ActorRole } from './actor.js';

export type ActivityKind = 'call' | 'task' | 'chat' | 'interaction';

/** Why a status was entered (spans, status events); `stale` only appears on activity ends. */
export type Cause =
  | 'user'
  | 'deferred'
  | 'connection-lost'
  | 'shift-start'
  | 'shift-end'
  | 'shift-auto-end'
  | 'pbx'
  | 'supervisor'
  /** Moved by the system after too many consecutive unanswered offers (status.missedOffers). */
  | 'missed-offer'
  | 'stale';

/** Who asked for a status that was applied later (deferred), and why. */
export interface RequestedBy {
  actor: Actor;
  cause: Cause;
  at: string;
}

/** What became of the last upcoming status (`lastUpcoming` in the served OpenAPI, /docs). */
export interface LastUpcoming {
  id: string;
  outcome: 'applied' | 'cancelled' | 'dropped';
  /** APPLIED, CANCELLED, SUPERSEDED, CONNECTION_LOST or the error code that refused it (see upcoming.ts). */
  reason: string;
  at: string;
}

export interface Activity {
  id: string;
  kind: ActivityKind;
  /** e.g. "api", "freepbx:main", "3cx:hq" */
  source: string;
  since: string;
}

/**
 * A call ringing the user's phone that nobody has answered yet. Not an activity: it does not engage the user,
 * defer a status, start a wrap-up or count as handle time. Answered, it ends and the call becomes an activity.
 */
export interface Offer {
  /** Unique per ring attempt (a queue that rings the same agent again for the same caller makes a new offer). */
  id: string;
  source: string;
  since: string;
}

export interface Directory {
  displayName: string;
  pbx: { connection: string; extension: string } | null;
  mobile: string | null;
  queues: string[];
  /** Per-user wrap-up override in seconds; null = the global default. */
  wrapUpSeconds: number | null;
}

export interface UserState {
  id: string;
  /** Grows by exactly one per committed change. 0 = never stored. */
  version: number;
  directory: Directory;
  status: CurrentStatus;
  upcoming: { id: string; selectedAt: string; cause: Cause; actor: Actor } | null;
  lastUpcoming: LastUpcoming | null;
  /**
   * The connection was lost while engaged: Offline waits beside the agent's own upcoming status and is applied
   * when the work ends, unless the connection comes back first (see connection.ts).
   */
  pendingOffline: { since: string } | null;
  activities: Activity[];
  /** Calls ringing the user's phone, oldest first (usually none or one). */
  offers: Offer[];
  /** Ids of recently ended offers, so a late duplicate "begin" is ignored. Bounded like endedActivities. */
  endedOffers: Array<{ id: string; endedAt: string }>;
  /**
   * Offers that rang out: `consecutive` counts those in a row since the last answered offer or status the user
   * picked; `recent` remembers the latest missed offer ids (bounded), so a miss reported twice counts once.
   */
  missedOffers: { consecutive: number; recent: string[] };
  /** After-call work: still engaged from `since` (the call's end) until `until`. */
  wrapUp: { activityId: string; since: string; until: string } | null;
  /**
   * When the pending stale-activity timer is due, or null when none is pending: one timer per user at a time,
   * not one per activity (see activities.ts).
   */
  staleCheckAt: string | null;
  /**
   * What a phone-side change interrupted: the PBX selected `by` while `statusId` was the status (or the upcoming
   * one); `resumeInterrupted` goes back to it. Kept while `by` is the current or upcoming status (interruption.ts).
   * Optional: states stored before it existed have none.
   */
  interrupted?: Interruption | null;
  /** Ids of recently ended activities, so a late duplicate "begin" is ignored. Bounded (see decide). */
  endedActivities: Array<{ id: string; endedAt: string }>;
  shift: { id: string; startedAt: string; usage: Record<string, number> } | null;
  overage: { since: string; allowedMinutes: number } | null;
  connection: { state: 'online' | 'lost' | 'unknown'; lastSeen: string | null };
}

/** The current status: since when, why and by whom it was entered. */
export interface CurrentStatus {
  id: string;
  since: string;
  cause: Cause;
  actor: Actor;
  /** For a deferred application: who selected it, why and when; else null. */
  requestedBy: RequestedBy | null;
  /** Free text a supervisor gave with a forced change; else null. */
  reason: string | null;
}

export interface Interruption {
  statusId: string;
  by: string;
}

/** Span closed by an applied status change; appended to history in the same commit. */
export interface HistorySpan {
  statusId: string;
  name: string;
  from: string;
  to: string | null;
  seconds: number;
  overageSeconds: number;
  /** Why the status was entered, by whom, and for deferred applications who had asked for it. */
  cause: Cause;
  actor: Actor;
  requestedBy: RequestedBy | null;
  reason: string | null;
}

/**
 * Every command may name its actor (who asked: an API key's role and name, or the PBX); commands without one
 * (timers) are the system's (see actor.ts). The actor is recorded on the events and spans the command causes.
 */
export type Command = CommandBody & { actor?: Actor };

type CommandBody =
  | { type: 'upsertDirectory'; directory: Directory }
  /** `force` (supervisor/admin): applied now even while engaged and past the per-shift limit. */
  | { type: 'selectStatus'; statusId: string; force?: boolean; reason?: string }
  /** Cancels the upcoming status and an Offline pending for a lost connection. */
  | { type: 'cancelUpcoming' }
  | { type: 'startShift'; statusId: string }
  /** `force` (supervisor/admin): ends the shift from any status, even while engaged. */
  | { type: 'endShift'; force?: boolean; reason?: string }
  | { type: 'beginActivity'; activity: { id: string; kind: ActivityKind; source: string } }
  | { type: 'endActivity'; activityId: string }
  /** The user's phone rings with a call (idempotent on the offer id). */
  | { type: 'beginOffer'; offer: { id: string; source: string } }
  /** The ringing stopped: answered (the call becomes an activity) or not (caller gave up, answered elsewhere). */
  | { type: 'endOffer'; offerId: string; answered: boolean }
  /** The offer rang out unanswered (queue ring-no-answer); counts toward status.missedOffers. Idempotent. */
  | { type: 'missOffer'; offerId: string; source: string }
  | { type: 'endWrapUp' }
  /** More after-call work: moves the running wrap-up's end by `seconds` (bounded by wrapUpMaxSeconds). */
  | { type: 'extendWrapUp'; seconds: number }
  /** A phone-side change asks to go back to the status an earlier phone-side change interrupted. */
  | { type: 'resumeInterrupted' }
  /**
   * Timer fired: wrap-up for `activityId` is over. Stale if the wrap-up is no longer that one, or when `until`
   * (absent in timers scheduled before wrap-ups could be extended) is not the wrap-up's current end.
   */
  | { type: 'wrapUpElapsed'; activityId: string; until?: string }
  | { type: 'heartbeat' }
  /**
   * Timer fired: no heartbeat since `lastSeen` (stale if a newer heartbeat arrived). `rearmed`: set again after a
   * pending Offline was cancelled while the connection was still lost.
   */
  | { type: 'connectionTimeout'; lastSeen: string; rearmed?: boolean }
  /** Timer fired: allowed time for the status entered at `since` is over (stale if status changed). */
  | { type: 'overageDue'; statusId: string; since: string; rescheduledAt?: string }
  /** The allowance of `statusId` was edited: re-plan the overage of a user in it (no-op for anyone else). */
  | { type: 'replanOverage'; statusId: string }
  /** Timer fired: the shift may be due to end by itself (checked against the state and rules as they are now). */
  | { type: 'shiftAutoEnd'; shiftId: string; rescheduledAt?: string }
  /** Timer fired: activities may be older than the configured maximum (`activityId`: the oldest when set). */
  | { type: 'activityStale'; activityId: string; since: string; rescheduledAt?: string };

/**
 * `rescheduledAt` on a timer command: it fired before its moment and was set again at that time. The field makes
 * the new request a different timer (a new job) from the one still running, which would otherwise swallow it.
 */

export type CommandType = Command['type'];

export type DomainEventType =
  | 'user.status.changed'
  | 'user.upcoming.changed'
  | 'user.activity.started'
  | 'user.activity.ended'
  | 'user.overage.started'
  | 'user.overage.ended'
  | 'user.connection.changed'
  | 'user.shift.started'
  | 'user.shift.ended'
  | 'user.offer.started'
  | 'user.offer.ended'
  | 'user.offer.missed'
  | 'user.directory.changed'
  /**
   * Wrap-up is over (elapsed, ended early, or replaced by a later call's): screens drop the countdown, the PBX
   * sync unpauses queues, and its interval (from the call's end to `to`) goes to the activity log for reports.
   */
  | 'user.wrap-up.ended'
  /** The agent or a supervisor extended the wrap-up. */
  | 'user.wrap-up.extended';

export interface DomainEvent {
  type: DomainEventType;
  userId: string;
  at: string;
  /** Who caused it: the command's actor. */
  actor: Actor;
  /** Event-specific payload; for user.status.changed: {from, to, cause, span: HistorySpan}. */
  data: Record<string, unknown>;
}

/** A durable timer to (re)schedule. `key` is deterministic so rescheduling replaces, not duplicates. */
export interface TimerRequest {
  key: string;
  dueAt: string;
  command: Command;
}

export interface DecideConfig {
  requireShift: boolean;
  connectionTimeoutSeconds: number;
  /** Global wrap-up default in seconds after a call ends; 0 = off. */
  wrapUpSeconds: number;
  /** The longest a wrap-up may last, counted from the call's end, once extended; 0 = extending is off. */
  wrapUpMaxSeconds: number;
  /** After `threshold` consecutive missed offers move the user to `statusId`; null = off. */
  missedOffers: { threshold: number; statusId: string } | null;
  /** When a shift ends by itself; absent = never (see shift-auto-end.ts). */
  shift?: ShiftRules;
  /** IANA time zone of `shift.dayBoundary`; absent = UTC. */
  timezone?: string;
  /** An activity open this long is ended (cause stale); absent or null = never. */
  maxActivityHours?: number | null;
  /** Open activities a user may have at once; absent = DEFAULT_MAX_OPEN_ACTIVITIES (activities.ts). */
  maxOpenActivities?: number;
}

/** Automatic shift end, whichever comes first; null turns a rule off. */
export interface ShiftRules {
  /** Offline, or connection lost in a type that does not keep its status, for this many minutes. */
  endAfterOfflineMinutes: number | null;
  /** The longest a shift may last. */
  maxHours: number | null;
  /** Daily cut-off "HH:MM" in `timezone`: a shift open when it passes ends. */
  dayBoundary: string | null;
}
