/**
 * Status types: the catalog entries admins define, and the four built-ins every installation has.
 * Pure data and helpers; storage lives in src/bridge.
 */

export interface CallHandling {
  ringMyMobile: boolean;
  queueLogin: boolean;
  externalCalls: boolean;
}

export type FreepbxPresenceState =
  'available' | 'chat' | 'away' | 'dnd' | 'xa' | 'unavailable' | 'not_set' | 'invisible';

/** How a status that takes no queue calls shows in queues: a paused member, or no member at all. */
export type QueueMode = 'pause' | 'logout';

export interface StatusPbxPresence {
  freepbx: {
    dnd: boolean;
    presence: FreepbxPresenceState;
    message?: string;
    /** Absent: see queueHandling() for the default. */
    queues?: QueueMode;
    /** Pause reason code shown in queue reports; absent: derived from the name (defaultPauseReason). */
    pauseReason?: string;
  };
  '3cx': { profile: string };
}

export interface StatusType {
  /** Slug, immutable. */
  id: string;
  name: string;
  /** #RRGGBB */
  color: string;
  builtIn: boolean;
  keepOnConnectionLoss: boolean;
  canEndShift: boolean;
  /** Times a user may enter it per shift; null = unlimited. */
  limitPerShift: number | null;
  /** Overage tracking starts after this many minutes; null = unlimited. */
  allowedMinutes: number | null;
  callHandling: CallHandling;
  pbxPresence: StatusPbxPresence;
  /**
   * Time in it is work (Active, Idle, types that take queue calls) rather than a break; reports give the time in
   * types that are not as break time.
   */
  productive: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Catalog as decide() sees it: lookup by id. */
export type Catalog = ReadonlyMap<string, StatusType>;

export const BUILT_IN_IDS = ['active', 'idle', 'on-break', 'offline'] as const;
export type BuiltInId = (typeof BUILT_IN_IDS)[number];
export const OFFLINE = 'offline';
export const ACTIVE = 'active';

type BuiltInSeed = Omit<StatusType, 'version' | 'createdAt' | 'updatedAt' | 'builtIn'>;

const BUILT_INS: readonly BuiltInSeed[] = [
  {
    id: 'active',
    name: 'Active',
    color: '#2ECC71',
    keepOnConnectionLoss: false,
    canEndShift: true,
    limitPerShift: null,
    allowedMinutes: null,
    callHandling: { ringMyMobile: false, queueLogin: true, externalCalls: true },
    pbxPresence: { freepbx: { dnd: false, presence: 'available' }, '3cx': { profile: 'Available' } },
    productive: true,
  },
  {
    id: 'idle',
    name: 'Idle',
    color: '#3498DB',
    keepOnConnectionLoss: false,
    canEndShift: true,
    limitPerShift: null,
    allowedMinutes: null,
    callHandling: { ringMyMobile: false, queueLogin: false, externalCalls: true },
    pbxPresence: { freepbx: { dnd: false, presence: 'away' }, '3cx': { profile: 'Away' } },
    productive: true,
  },
  {
    id: 'on-break',
    name: 'On Break',
    color: '#F5A623',
    keepOnConnectionLoss: true,
    canEndShift: false,
    limitPerShift: null,
    allowedMinutes: 15,
    callHandling: { ringMyMobile: false, queueLogin: false, externalCalls: false },
    pbxPresence: { freepbx: { dnd: true, presence: 'away' }, '3cx': { profile: 'Away' } },
    productive: false,
  },
  {
    id: 'offline',
    name: 'Offline',
    color: '#95A5A6',
    keepOnConnectionLoss: true,
    canEndShift: true,
    limitPerShift: null,
    allowedMinutes: null,
    callHandling: { ringMyMobile: false, queueLogin: false, externalCalls: false },
    pbxPresence: { freepbx: { dnd: true, presence: 'unavailable' }, '3cx': { profile: 'Out of office' } },
    productive: false,
  },
];

export function builtInStatusTypes(now: string): StatusType[] {
  return BUILT_INS.map((seed) => ({
    ...structuredClone(seed),
    builtIn: true,
    version: 1,
    createdAt: now,
    updatedAt: now,
  }));
}

export function isBuiltIn(id: string): boolean {
  return (BUILT_IN_IDS as readonly string[]).includes(id);
}

/**
 * Presence defaults for a type created without `pbxPresence`: derived from its call handling, so a type
 * that takes no queue calls shows as away with DND, and one that does shows as available.
 */
export function defaultPbxPresence(callHandling: CallHandling): StatusPbxPresence {
  return callHandling.queueLogin
    ? { freepbx: { dnd: false, presence: 'available' }, '3cx': { profile: 'Available' } }
    : { freepbx: { dnd: true, presence: 'away' }, '3cx': { profile: 'Away' } };
}

/** `productive` of a type that does not say: Active, Idle and types that take queue calls are work. */
export function defaultProductive(type: Pick<StatusType, 'id' | 'callHandling'>): boolean {
  return type.id === ACTIVE || type.id === 'idle' || type.callHandling.queueLogin;
}

/**
 * app_queue keeps a pause reason in an 80-byte buffer and persists members as `iface;penalty;paused;name;state;
 * reason|…` (apps/app_queue.c dump_queue_members / reload_queue_members split on ";" and ",|"), so a reason is at
 * most 79 bytes and has none of `;` `,` `|` (nor control characters, which would break an AMI header).
 */
export const PAUSE_REASON_MAX_BYTES = 79;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const PAUSE_REASON_UNSAFE = /[;,|\u0000-\u001f\u007f]/g;

/** A status name made into a safe pause reason: unsafe characters dropped, cut to 79 bytes on a character boundary. */
export function defaultPauseReason(name: string): string {
  // Perf: every commit and every sync of a user asks (through desiredSettings); names are few.
  const known = pauseReasons.get(name);
  if (known !== undefined) return known;
  const cleaned = name.replace(PAUSE_REASON_UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  const reason = cutToBytes(cleaned, PAUSE_REASON_MAX_BYTES).trim();
  if (pauseReasons.size >= 1000) pauseReasons.clear();
  pauseReasons.set(name, reason);
  return reason;
}

/** Status type name → its default pause reason (a pure function's results; bounded). */
const pauseReasons = new Map<string, string>();

/** True when `reason` can be used as is (what the API accepts for pbxPresence.freepbx.pauseReason). */
export function isSafePauseReason(reason: string): boolean {
  return !new RegExp(PAUSE_REASON_UNSAFE.source).test(reason) && byteLength(reason) <= PAUSE_REASON_MAX_BYTES;
}

/**
 * A type's queue handling when it takes no queue calls. Defaults: Offline logs out (the end of the shift), every
 * other type pauses (a break is a pause with a reason code, as FreePBX's *46 and queue reports expect). `fallback` is
 * the deprecated global `sync.queueMode`: when configured it replaces those defaults for types that set none.
 */
export function queueHandling(type: StatusType, fallback?: QueueMode): { mode: QueueMode; reason: string } {
  const own = type.pbxPresence.freepbx;
  const mode = own.queues ?? fallback ?? (type.id === OFFLINE ? 'logout' : 'pause');
  return { mode, reason: own.pauseReason ?? defaultPauseReason(type.name) };
}

/** A status type with its queue handling filled in. */
export type StatusTypeShown = StatusType & {
  pbxPresence: { freepbx: { queues: QueueMode; pauseReason: string } };
};

/** The type as the API shows it: queue handling filled in, so a client sees what the PBX will get. */
export function withQueueHandling(type: StatusType, fallback?: QueueMode): StatusTypeShown {
  const { mode, reason } = queueHandling(type, fallback);
  const freepbx = { ...type.pbxPresence.freepbx, queues: mode, pauseReason: reason };
  return { ...type, pbxPresence: { ...type.pbxPresence, freepbx } };
}

/** UTF-8 length (a lone surrogate counts 3 bytes, as U+FFFD, the way TextEncoder writes it). */
function byteLength(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += charBytes(char);
  return bytes;
}

function charBytes(char: string): number {
  const cp = char.codePointAt(0) as number;
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Perf: one pass (it encoded the whole prefix again for every character). */
function cutToBytes(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const char of text) {
    bytes += charBytes(char);
    if (bytes > maxBytes) break;
    out += char;
  }
  return out;
}

/** "On Break" → "on-break". Returns '' when the name has no usable characters. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}
