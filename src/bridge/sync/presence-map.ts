/**
 * Phone-side facts → a status selection, through the connection's configured `presenceMap`, with echo suppression
 * (docs/architecture.md, "PBX sync"). Pure. Fact keys, most specific first:
 *   dnd:on, dnd:off, presence:<state or 3CX profile>, queue:paused:<reason>, queue:paused, queue:unpaused,
 *   queue:loggedIn, queue:loggedOut
 * A value is a status type id, or RESUME_INTERRUPTED: back to the status an earlier phone-side change interrupted
 * (the domain remembers it, src/status/interruption.ts).
 */
import type { DesiredSettings, PbxKind, PhonePresence } from '../../adapters/pbx.js';

/** Map target meaning "the status the earlier phone-side change interrupted" (DND off after DND on). */
export const RESUME_INTERRUPTED = '@interrupted';

/**
 * Shipped default of every connection, so pressing DND on the phone (FreePBX *76) or picking a "not available" profile
 * in a 3CX app is a break, and undoing it goes back to what the agent had; anything else the phone changes is
 * reverted, visibly. One map serves both kinds: 3CX never reports DND, and FreePBX reports presence states in lower
 * case (`presence:away`), so each platform only ever hits its own keys.
 */
export const DEFAULT_PRESENCE_MAP: Readonly<Record<string, string>> = {
  'dnd:on': 'on-break',
  'dnd:off': RESUME_INTERRUPTED,
  'presence:Away': 'on-break',
  'presence:Out of office': 'on-break',
  'presence:Available': RESUME_INTERRUPTED,
};

export function factKeys(presence: PhonePresence): string[] {
  const keys: string[] = [];
  if (presence.dnd !== undefined) keys.push(presence.dnd ? 'dnd:on' : 'dnd:off');
  if (presence.presence !== undefined) keys.push(`presence:${presence.presence}`);
  const q = presence.queue;
  if (q?.paused === true && q.reason) keys.push(`queue:paused:${q.reason}`);
  if (q?.paused !== undefined) keys.push(q.paused ? 'queue:paused' : 'queue:unpaused');
  if (q?.loggedIn !== undefined) keys.push(q.loggedIn ? 'queue:loggedIn' : 'queue:loggedOut');
  return keys;
}

/** True when every fact reported is what we pushed last: the PBX is telling us about our own change. */
export function isEcho(presence: PhonePresence, pushed: DesiredSettings | null, kind: PbxKind): boolean {
  if (!pushed) return false;
  const checks: boolean[] = [];
  if (presence.dnd !== undefined)
    checks.push(kind === 'freepbx' && presence.dnd === pushed.presence.freepbx.dnd);
  if (presence.presence !== undefined) {
    const ours = kind === 'freepbx' ? pushed.presence.freepbx.presence : pushed.presence['3cx'].profile;
    checks.push(presence.presence.toLowerCase() === ours.toLowerCase());
  }
  if (presence.queue) checks.push(isQueueEcho(presence.queue, pushed.queues, kind));
  return checks.length > 0 && checks.every(Boolean);
}

/**
 * FreePBX pauses a member (and pauses a static member it cannot remove, with the same reason), so a pause with the
 * pushed reason is ours whatever the mode; 3CX has no pause: every status without queue login is LoggedOut there.
 * A member added paused without a reason is our QueueAdd on an Asterisk that ignores QueueAdd's Reason (< 20.12):
 * the adapter re-pauses it with the reason right away.
 */
function isQueueEcho(
  q: NonNullable<PhonePresence['queue']>,
  wish: DesiredSettings['queues'],
  kind: PbxKind,
): boolean {
  const memberStays = wish.loggedIn || (kind === 'freepbx' && wish.mode === 'pause');
  if (q.loggedIn !== undefined && q.loggedIn !== memberStays) return false;
  if (q.paused === false) return wish.loggedIn;
  const addedWithoutReason = q.loggedIn === true && q.reason === '';
  if (q.paused === true)
    return !wish.loggedIn && (q.reason === undefined || q.reason === wish.reason || addedWithoutReason);
  return true;
}

/** The status type a phone-side change selects, or null when the map says nothing about it. */
export function mappedStatus(presence: PhonePresence, map: Readonly<Record<string, string>>): string | null {
  for (const key of factKeys(presence)) {
    const statusId = Object.hasOwn(map, key) ? map[key] : undefined;
    if (statusId) return statusId;
  }
  return null;
}
