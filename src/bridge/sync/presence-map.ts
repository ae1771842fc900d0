/**
 * Phone-side facts → a status selection, through the connection's configured `presenceMap`, with echo suppression
 * (DESIGN.md principle 6). Pure. Fact keys, most specific first:
 *   dnd:on, dnd:off, presence:<state or 3CX profile>, queue:paused:<reason>, queue:paused, queue:unpaused,
 *   queue:loggedIn, queue:loggedOut
 */
import type { DesiredSettings, PhonePresence } from '../../adapters/pbx.js';

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
export function isEcho(
  presence: PhonePresence,
  pushed: DesiredSettings | null,
  kind: 'freepbx' | '3cx',
): boolean {
  if (!pushed) return false;
  const checks: boolean[] = [];
  if (presence.dnd !== undefined)
    checks.push(kind === 'freepbx' && presence.dnd === pushed.presence.freepbx.dnd);
  if (presence.presence !== undefined) {
    const ours = kind === 'freepbx' ? pushed.presence.freepbx.presence : pushed.presence['3cx'].profile;
    checks.push(presence.presence.toLowerCase() === ours.toLowerCase());
  }
  const q = presence.queue;
  // FreePBX pauses a member and keeps it logged in; 3CX has no pause, so "pause" logs the agent out there.
  const memberStays = pushed.queues.loggedIn || (kind === 'freepbx' && pushed.queues.mode === 'pause');
  if (q?.loggedIn !== undefined) checks.push(q.loggedIn === memberStays);
  if (q?.paused !== undefined)
    checks.push(q.paused === (!pushed.queues.loggedIn && pushed.queues.mode === 'pause'));
  return checks.length > 0 && checks.every(Boolean);
}

/** The status type a phone-side change selects, or null when the map says nothing about it. */
export function mappedStatus(presence: PhonePresence, map: Readonly<Record<string, string>>): string | null {
  for (const key of factKeys(presence)) {
    const statusId = map[key];
    if (statusId) return statusId;
  }
  return null;
}
