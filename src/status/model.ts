/**
 * The user's state as the domain sees it, the commands that change it, and the events and timers a
 * change causes. decide() (decide.ts) is the only function that produces a new UserState.
 *
 * All times are ISO-8601 UTC strings so a state round-trips through JSON unchanged.
 */

export type ActivityKind = 'call' | 'task' | 'chat' | 'interaction';

export type Cause =
  'user' | 'deferred' | 'connection-lost' | 'shift-start' | 'shift-end' | 'pbx' | 'supervisor';

/** Who issued a command; decides the span cause of a direct selection (user/supervisor/pbx). */
export type Actor = 'user' | 'supervisor' | 'integration' | 'pbx' | 'system';

export interface Activity {
  id: string;
  kind: ActivityKind;
  /** e.g. "api", "freepbx:main", "3cx:hq" */
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
  /** After-call work: still engaged until `until`. */
  wrapUp: { activityId: string; until: string } | null;
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
  | { type: 'endWrapUp' }
  /** A phone-side change asks to go back to the status an earlier phone-side change interrupted. */
  | { type: 'resumeInterrupted'; actor: Actor }
  /** Timer fired: wrap-up for `activityId` is over (stale if the wrap-up is no longer that one). */
  | { type: 'wrapUpElapsed'; activityId: string }
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
  | 'user.directory.changed'
  /** Wrap-up is over (elapsed or ended early); internal for now: it triggers the PBX sync that unpauses queues. */
  | 'user.wrap-up.ended';

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
}
