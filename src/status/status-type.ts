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

export interface StatusPbxPresence {
  freepbx: { dnd: boolean; presence: FreepbxPresenceState; message?: string };
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
    color: '#F1C40F',
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
