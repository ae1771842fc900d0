/**
 * How a UserState is stored in the user hash's `state` field (and a history span in the history list, below): JSON without the fields that hold their empty value
 * (null, [], no missed offers, connection unknown), without the id (the key names it) and the version (the
 * hash's `v` field, written with it). Most users have most
 * fields empty; leaving them out took ~170 B off each state at 100,000 users (docs/performance.md).
 *
 * decodeState() puts them back, then upgradeState() fills what older versions did not write, so every reader sees
 * the full current shape. Only fields whose empty value is the same as upgradeState()'s default for a state that
 * predates them are left out: an absent field means the same thing whichever version wrote the state.
 * (status.actor, upcoming.actor and wrapUp.since are always written: their absence means "written before
 * actors were recorded", which upgradeState() treats differently.)
 */
import { upgradeState, type HistorySpan, type UserState } from '../../status/index.js';

type Json = Record<string, unknown>;

/** Top-level fields left out when null. */
const NULL_FIELDS = [
  'upcoming',
  'lastUpcoming',
  'pendingOffline',
  'staleCheckAt',
  'wrapUp',
  'shift',
  'overage',
] as const;
/** Top-level fields left out when empty. */
const LIST_FIELDS = ['activities', 'offers', 'endedOffers', 'endedActivities'] as const;

export function encodeState(state: UserState): string {
  const out: Json = {};
  for (const [field, value] of Object.entries(state)) {
    if (field === 'id' || field === 'version') continue;
    if (value === null && (NULL_FIELDS as readonly string[]).includes(field)) continue;
    if (Array.isArray(value) && value.length === 0 && (LIST_FIELDS as readonly string[]).includes(field))
      continue;
    if (
      field === 'missedOffers' &&
      state.missedOffers.consecutive === 0 &&
      state.missedOffers.recent.length === 0
    )
      continue;
    if (field === 'connection' && state.connection.state === 'unknown' && state.connection.lastSeen === null)
      continue;
    out[field] =
      field === 'status'
        ? withoutNulls(value as Json, ['requestedBy', 'reason'])
        : field === 'directory'
          ? compactDirectory(state.directory)
          : value;
  }
  return JSON.stringify(out);
}

/** The stored JSON of user `id` (any version's) as the current UserState; `version`: the hash's `v`. */
export function decodeState(json: string, id: string, version: number): UserState {
  const s = JSON.parse(json) as Json;
  const directory = s.directory as Json;
  const status = s.status as Json;
  const full: Json = {
    id,
    version,
    ...s,
    directory: { pbx: null, mobile: null, queues: [], wrapUpSeconds: null, ...directory },
    // actor stays absent when absent (an old state): upgradeState() knows what that means.
    status: { ...status, requestedBy: status.requestedBy ?? null, reason: status.reason ?? null },
    missedOffers: s.missedOffers ?? { consecutive: 0, recent: [] },
    connection: s.connection ?? { state: 'unknown', lastSeen: null },
  };
  for (const field of NULL_FIELDS) full[field] ??= null;
  for (const field of LIST_FIELDS) full[field] ??= [];
  return upgradeState(full as unknown as UserState);
}

function compactDirectory(directory: UserState['directory']): Json {
  const out = withoutNulls(directory as unknown as Json, ['pbx', 'mobile', 'wrapUpSeconds']);
  if (directory.queues.length === 0) delete out.queues;
  return out;
}

function withoutNulls(object: Json, fields: readonly string[]): Json {
  const out: Json = {};
  for (const [field, value] of Object.entries(object)) {
    if (value === null && fields.includes(field)) continue;
    out[field] = value;
  }
  return out;
}

/**
 * A history span as stored in the history list: without a null requestedBy or reason or a zero overage (most
 * spans), ~50 B less each; and (issue 15) without its seconds when they are what `from` and `to` give, without a
 * "user" cause, and with the system's own actor written "s" (~60 B less again: a new user's first span has all
 * three). decodeSpan() puts them back; spans of older versions have them all (seconds and cause were always
 * written; an absent actor means a span from before actors were recorded, so the system actor is a marker).
 */
export function encodeSpan(span: HistorySpan): string {
  const out: Json = {};
  for (const [field, value] of Object.entries(span)) {
    if (value === null && (field === 'requestedBy' || field === 'reason')) continue;
    if (field === 'overageSeconds' && value === 0) continue;
    if (field === 'seconds' && span.to !== null && value === spanSeconds(span.from, span.to)) continue;
    if (field === 'cause' && value === 'user') continue;
    out[field] = field === 'actor' && isSystemActor(span.actor) ? SYSTEM_ACTOR_MARK : value;
  }
  return JSON.stringify(out);
}

const SYSTEM_ACTOR_MARK = 's';

/** How a closed span's seconds are computed (status/spans.ts). */
function spanSeconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}

function isSystemActor(actor: unknown): boolean {
  if (typeof actor !== 'object' || actor === null) return false;
  const { role, name } = actor as { role?: unknown; name?: unknown };
  return Object.keys(actor).length === 2 && role === 'system' && name === 'system';
}

export function decodeSpan(json: string): HistorySpan {
  const s = JSON.parse(json) as HistorySpan;
  const actor = (s.actor as unknown) === SYSTEM_ACTOR_MARK ? { role: 'system', name: 'system' } : s.actor;
  return {
    ...s,
    seconds: s.seconds ?? (s.to === null ? 0 : spanSeconds(s.from, s.to)),
    cause: s.cause ?? 'user',
    ...(actor === undefined ? {} : { actor: actor as HistorySpan['actor'] }),
    overageSeconds: s.overageSeconds ?? 0,
    requestedBy: s.requestedBy ?? null,
    reason: s.reason ?? null,
  };
}
