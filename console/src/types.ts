/** The API's shapes as the console reads them (the OpenAPI document the daemon serves at /docs/json is the reference). */

export type Role = 'admin' | 'supervisor' | 'agent' | 'integration';

export interface Me {
  name: string;
  role: Role;
  userId: string | null;
}

export interface StatusType {
  id: string;
  name: string;
  color: string;
  builtIn: boolean;
  keepOnConnectionLoss: boolean;
  canEndShift: boolean;
  /** Time in it is work (not break time in reports). */
  productive: boolean;
  limitPerShift: number | null;
  allowedMinutes: number | null;
  callHandling: { ringMyMobile: boolean; queueLogin: boolean; externalCalls: boolean };
  pbxPresence: {
    freepbx: { dnd: boolean; presence: FreepbxPresence; message?: string };
    '3cx': { profile: string };
  };
  version: number;
  createdAt: string;
  updatedAt: string;
  warnings?: string[];
}

export const FREEPBX_PRESENCE = [
  'available',
  'chat',
  'away',
  'dnd',
  'xa',
  'unavailable',
  'not_set',
  'invisible',
] as const;
export type FreepbxPresence = (typeof FREEPBX_PRESENCE)[number];

export type ActivityKind = 'call' | 'task' | 'chat' | 'interaction';

export interface UserState {
  id: string;
  displayName: string;
  status: {
    id: string;
    name: string;
    color: string;
    since: string;
    cause?: string;
    actor?: { role: string; name: string };
    reason?: string | null;
  };
  upcoming: { id: string; name: string; color: string; selectedAt: string } | null;
  activities: Array<{ id: string; kind: ActivityKind; source: string; since: string }>;
  /** The phone rings with a call nobody answered yet (not an activity). */
  offer?: { since: string; source: string } | null;
  wrapUp?: { activityId: string; since: string; until: string } | null;
  shift: { id: string; startedAt: string; usage: Record<string, number> } | null;
  overage: { since: string; allowedMinutes: number } | null;
  connection: { state: 'online' | 'lost' | 'unknown'; lastSeen: string | null };
  pbx: {
    connection: string;
    extension: string;
    sync: {
      state: 'in-sync' | 'pending' | 'failed';
      lastError: { code: string; message: string } | null;
      syncedAt: string | null;
      /** When the current sync state began. */
      since: string | null;
    };
  } | null;
  version: number;
}

export interface UserPage {
  items: UserState[];
  nextCursor: string | null;
}

export interface StatusChangeResult {
  applied: boolean;
  user: UserState;
}

export interface TimeInStatusReport {
  from: string;
  to: string;
  generatedAt: string;
  users: Array<{
    userId: string;
    displayName: string;
    loggedInSeconds: number;
    handleSeconds: number;
    breakSeconds: number;
    occupancy: number | null;
    utilization: number | null;
    /** Calls that rang out unanswered while the agent was available. */
    missedOffers?: number;
    statuses: Array<{
      statusId: string;
      name: string;
      seconds: number;
      entries: number;
      overageSeconds: number;
    }>;
  }>;
}

/** An SSE event's `data`: `{type, userId, at, ...}`. */
export interface LiveEvent {
  type: string;
  userId: string | null;
  at?: string;
  [field: string]: unknown;
}
