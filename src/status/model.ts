/**
 * The user's state as the domain sees it, the commands that change it, and the events and timers a
 * change causes. decide() (decide.ts) is the only function that produces a new UserState.
 *
 * All times are ISO-8601 UTC strings so a state round-trips through JSON unchanged.
 */

export type ActivityKind = 'call' | 'task' | 'chat' | 'interaction';

export type Cause =
  | 'user'
  | 'deferred'
  | 'connection-lost'
  | 'shift-start'
  | 'shift-end'
  | 'pbx'
  | 'supervisor'
  /** Moved by the system after too many consecutive unanswered offers (status.missedOffers). */
  | 'missed-offer';

/** Who issued a command; decides the span cause of a direct selection (user/supervisor/pbx). */
export type Actor = 'user' | 'supervisor' | 'integration' | 'pbx' | 'system';

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
  status: { id: string; since: string; cause: Cause };
  upcoming: { id: string; selectedAt: string; cause: Cause } | null;
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
  cause: Cause;
}

export type Command =
  | { type: 'upsertDirectory'; directory: Directory }
  | { type: 'selectStatus'; statusId: string; actor: Actor }
  | { type: 'cancelUpcoming'; actor: Actor }
  | { type: 'startShift'; statusId: string; actor: Actor }
  | { type: 'endShift'; actor: Actor }
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
  | { type: 'resumeInterrupted'; actor: Actor }
  /**
   * Timer fired: wrap-up for `activityId` is over. Stale if the wrap-up is no longer that one, or when `until`
   * (absent in timers scheduled before wrap-ups could be extended) is not the wrap-up's current end.
   */
  | { type: 'wrapUpElapsed'; activityId: string; until?: string }
  | { type: 'heartbeat' }
  /** Timer fired: no heartbeat since `lastSeen` (stale if a newer heartbeat arrived). */
  | { type: 'connectionTimeout'; lastSeen: string }
  /** Timer fired: allowed time for the status entered at `since` is over (stale if status changed). */
  | { type: 'overageDue'; statusId: string; since: string };

export type DomainEventType =
  | 'user.status.changed'
  | 'user.upcoming.changed'
  | 'user.activity.started'
  | 'user.activity.ended'
  | 'user.overage.started'
  | 'user.connection.changed'
  | 'user.shift.started'
  | 'user.shift.ended'
  | 'user.offer.started'
  | 'user.offer.ended'
  | 'user.offer.missed'
  | 'user.directory.changed'
  /** Wrap-up is over (elapsed or ended early): screens drop the countdown, and the PBX sync unpauses queues. */
  | 'user.wrap-up.ended'
  /** The agent or a supervisor extended the wrap-up. */
  | 'user.wrap-up.extended';

export interface DomainEvent {
  type: DomainEventType;
  userId: string;
  at: string;
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
}
