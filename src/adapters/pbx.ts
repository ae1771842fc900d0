/**
 * The PBX adapter port: what the bridge needs from a phone system, in domain words.
 *
 * An adapter translates protocol facts into {@link PbxEvent}s and {@link DesiredSettings} into protocol
 * actions. It deliberately knows nothing of users, status types, Redis or the bridge: it is told which
 * extension to change and what the settings must be, and it reports what happened on which extension.
 * Left out on purpose:
 * - status rules (deferral, shifts, limits): they live in src/status;
 * - mapping phone-side presence back to a status type: the bridge does it with its configured map;
 * - echo suppression: the bridge remembers what it pushed;
 * - retries: the bridge's sync jobs retry, the adapter reports retryable vs permanent faults
 *   through {@link PbxError}.
 */

export type PbxKind = 'freepbx' | '3cx';

/** FreePBX presence states understood by PRESENCE_STATE() (see reference/freepbx-ami.md). */
export type FreepbxPresenceState =
  'available' | 'chat' | 'away' | 'dnd' | 'xa' | 'unavailable' | 'not_set' | 'invisible';

/** How one status shows on each platform. */
export interface PbxPresence {
  freepbx: { dnd: boolean; presence: FreepbxPresenceState; message?: string };
  '3cx': { profile: string };
}

/** The settings a user's extension must have, computed by the bridge from the user's current status type. */
export interface DesiredSettings {
  /** Status type the settings come from (for pause reasons and logs). */
  statusId: string;
  statusName: string;
  presence: PbxPresence;
  queues: {
    /** true: a member, unpaused, of every queue of the target; false: paused or logged out, per `mode`. */
    loggedIn: boolean;
    /**
     * `pause`: a member, paused with `reason` (added paused in one step when not a member yet); `logout`: not a
     * member (a member the PBX cannot remove, e.g. a static one, is paused with `reason` instead).
     */
    mode: 'logout' | 'pause';
    /** Pause reason code, at most 79 bytes without `;` `,` `|` (the bridge makes it so). */
    reason: string;
  };
  ringMyMobile: boolean;
  externalCalls: boolean;
}

/** Which extension to change, with the directory facts the adapter may need. */
export interface PbxTarget {
  userId: string;
  extension: string;
  /** Queue identifiers on the PBX (FreePBX queue numbers, 3CX queue numbers). */
  queues: string[];
  mobile?: string | undefined;
}

/** How apply() works. */
export interface ApplyOptions {
  /**
   * Read every setting from the PBX before comparing, instead of trusting what the adapter remembers from earlier
   * reads, writes and events: the bridge's reconcile and forced syncs (drift made on the PBX side). Default false.
   */
  verify?: boolean;
}

/** What apply() changed; `changed` names the settings that differed and were written. */
export interface ApplyResult {
  changed: string[];
}

/** Phone-side facts as observed on the PBX. Every field is optional: an event carries what changed. */
export interface PhonePresence {
  dnd?: boolean;
  /** FreePBX presence state or 3CX profile name, as the PBX reports it. */
  presence?: string;
  queue?: { loggedIn?: boolean; paused?: boolean; reason?: string; queue?: string };
}

/**
 * Calls: an inbound call that rings the extension is an *offer* (offerStarted … offerEnded); once answered on
 * the extension it ends `answered` and the call is an *activity* (activityStarted … activityEnded). A call the
 * extension dials out is an activity from the start; a call to a feature code is neither. An offer that rings
 * out is also reported as offerMissed (before or after its offerEnded; both are idempotent on the offer id).
 * Offer ids are unique per ring attempt; activity ids name the call.
 */
export type PbxEvent =
  | { type: 'activityStarted'; extension: string; activityId: string; kind: 'call'; at: Date }
  | { type: 'activityEnded'; extension: string; activityId: string; at: Date }
  | { type: 'offerStarted'; extension: string; offerId: string; at: Date }
  | { type: 'offerEnded'; extension: string; offerId: string; answered: boolean; at: Date }
  | { type: 'offerMissed'; extension: string; offerId: string; at: Date }
  | { type: 'presenceChanged'; extension: string; presence: PhonePresence; at: Date }
  /** Logged in and receiving events. `restarted`: the PBX itself restarted since the last connection. */
  | { type: 'connected'; at: Date; restarted: boolean }
  /**
   * The PBX may have lost settings the bridge pushed although the connection stayed up (FreePBX: app_queue was
   * reloaded, which keeps a static member's pause but drops its reason): re-sync every user of the connection.
   */
  | { type: 'resyncRequested'; at: Date; reason: string }
  | { type: 'disconnected'; at: Date; reason: string };

export type PbxEventSink = (event: PbxEvent) => void;

/** One open call as found in a snapshot. */
export interface SnapshotCall {
  extension: string;
  activityId: string;
  kind: 'call';
  since?: Date;
}

/** One call ringing an extension, unanswered, as found in a snapshot. */
export interface SnapshotOffer {
  extension: string;
  offerId: string;
}

/** Full state for reconciliation after a (re)connect. */
export interface PbxSnapshot {
  takenAt: Date;
  /** Answered or dialled-out calls only: ringing ones are `offers`. */
  calls: SnapshotCall[];
  /** Ringing calls; absent when the adapter cannot tell (then offers are left as they are). */
  offers?: SnapshotOffer[];
}

/** Connection state, for readiness, metrics and GET /v1/pbx. */
export interface PbxConnectionStatus {
  connected: boolean;
  /** When the current state (connected or not) began. */
  since: Date;
  reconnects: number;
  lastEventAt: Date | null;
  lastError: string | null;
}

/** How well a platform does one thing: fully, only in part (`how` says what is missing), or not at all. */
export type Support = 'supported' | 'partial' | 'unsupported';

export interface Capability {
  support: Support;
  /** What the bridge does on the wire for it, or why it cannot. */
  how: string;
}

/**
 * What a platform can do with each setting of a status type, declared by the adapter (static: it does not need a
 * connection) and shown per connection in GET /v1/pbx.
 */
export interface PbxCapabilities {
  presence: Capability;
  dnd: Capability;
  queueLogin: Capability & { scope: 'per-queue' | 'global' };
  queuePause: Capability & { reason: boolean };
  ringMyMobile: Capability;
  externalCalls: Capability & { directions: Array<'outbound' | 'inbound'> };
  /** Changes made on the phone or in the PBX that the adapter reports (presenceMap fact keys). */
  phoneSideChanges: Capability & { seen: string[] };
}

export interface PbxAdapter {
  readonly id: string;
  readonly kind: PbxKind;
  /** What this connection can do (the same for every extension). */
  capabilities(): PbxCapabilities;
  /** Starts connecting (in the background, with its own reconnect loop) and delivers events to `sink`. */
  start(sink: PbxEventSink): Promise<void>;
  /** Stops for good: closes connections, clears timers, pending actions fail. Idempotent. */
  stop(): Promise<void>;
  /**
   * Makes the PBX match `desired` for one extension: compare with the PBX's state (remembered by the adapter, or
   * read; always read with `verify`) and change only what differs.
   */
  apply(target: PbxTarget, desired: DesiredSettings, options?: ApplyOptions): Promise<ApplyResult>;
  /** Active calls per extension, for reconciliation. Throws PbxError when not connected. */
  snapshot(): Promise<PbxSnapshot>;
  status(): PbxConnectionStatus;
}

export type PbxErrorCode =
  /** Not connected, connection dropped, 5xx: try again later. */
  | 'PBX_UNAVAILABLE'
  | 'PBX_TIMEOUT'
  | 'PBX_RATE_LIMITED'
  /** Permanent: the extension does not exist on the PBX. */
  | 'PBX_UNKNOWN_EXTENSION'
  | 'PBX_PERMISSION_DENIED'
  | 'PBX_AUTH_FAILED'
  /** Permanent: the feature is not set up for this extension (e.g. no Follow Me on FreePBX). */
  | 'PBX_FEATURE_NOT_CONFIGURED'
  /** Permanent: the PBX accepted a write but read-back shows it ignored it. */
  | 'PBX_FIELD_IGNORED'
  | 'PBX_LICENCE'
  /** Permanent: a configured name (profile, queue) is not known to the PBX. */
  | 'PBX_UNKNOWN_VALUE'
  | 'PBX_PROTOCOL';

const RETRYABLE: ReadonlySet<PbxErrorCode> = new Set(['PBX_UNAVAILABLE', 'PBX_TIMEOUT', 'PBX_RATE_LIMITED']);

/** A PBX fault. Retryable ones are retried by the sync job; permanent ones fail the sync at once. */
export class PbxError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: PbxErrorCode,
    message: string,
    readonly details: { retryAfterMs?: number; extension?: string; field?: string } = {},
  ) {
    super(message);
    this.name = 'PbxError';
    this.retryable = RETRYABLE.has(code);
  }
}
