/**
 * The member of a timer in its partition's timer set (`{p<N>}:timers`, score = due time in ms on the daemon's
 * clock): the user, the timer's kind and its command, short and deterministic, so the same timer requested twice is
 * one member (scheduled once) and the set costs little per user (issue 15: one shift-end timer per open shift).
 *
 * Form: one code letter naming the kind (and so the command type), the user id (ids have no spaces), a space, then
 * the command's fields separated by spaces, times as base-36 epoch ms. A shift id of the form "<user>@<iso>" (how
 * shifts are opened) is written "~<ms>". Anything that would not read back exactly (an unusual field, a
 * non-canonical time, a future field) is written as "j<user> <json>" instead: `encodeTimer` checks by decoding.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Command } from '../../status/index.js';
import { TIMER_KINDS, type TimerKind } from '../../status/timers.js';

export interface Timer {
  userId: string;
  kind: TimerKind;
  command: Command;
}

const CODES: Record<TimerKind, string> = {
  overage: 'o',
  wrapup: 'w',
  conn: 'c',
  shift: 's',
  offline: 'f',
  stale: 'a',
};
const KINDS = new Map(Object.entries(CODES).map(([kind, code]) => [code, kind as TimerKind]));

/** The kind of a timer key ("shift:u-1" → "shift"), or null for a key of no known kind. */
export function kindOfKey(key: string): TimerKind | null {
  const kind = key.slice(0, key.indexOf(':'));
  return (TIMER_KINDS as readonly string[]).includes(kind) ? (kind as TimerKind) : null;
}

export function encodeTimer(timer: Timer): string {
  const compact = compactMember(timer);
  if (compact !== null && !/\s/.test(timer.userId)) {
    try {
      if (isDeepStrictEqual(decodeTimer(compact), timer)) return compact;
    } catch {
      // not readable back: the JSON form below
    }
  }
  return `j${timer.userId.replace(/\s/g, '')} ${JSON.stringify({ u: timer.userId, k: timer.kind, c: timer.command })}`;
}

export function decodeTimer(member: string): Timer {
  const space = member.indexOf(' ');
  if (space < 0) throw new Error(`not a timer member: ${member}`);
  const code = member[0] ?? '';
  const userId = member.slice(1, space);
  const rest = member.slice(space + 1);
  if (code === 'j') {
    const { u, k, c } = JSON.parse(rest) as { u: string; k: TimerKind; c: Command };
    return { userId: u, kind: k, command: c };
  }
  const kind = KINDS.get(code);
  if (!kind) throw new Error(`not a timer member: ${member}`);
  const f = rest.split(' ');
  return { userId, kind, command: commandOf(kind, userId, f) };
}

/** The user part of a member (for grouping; decodeTimer reads the exact id of a JSON-form member). */
export function userOfMember(member: string): string {
  const space = member.indexOf(' ');
  return space < 0 ? member : member.slice(1, space);
}

function commandOf(kind: TimerKind, userId: string, f: string[]): Command {
  const at = (i: number) => time(f[i]);
  const optional = (i: number, name: string) => (f[i] !== undefined ? { [name]: at(i) } : {});
  switch (kind) {
    case 'overage':
      return { type: 'overageDue', statusId: field(f[0]), since: at(1), ...optional(2, 'rescheduledAt') };
    case 'stale':
      return {
        type: 'activityStale',
        activityId: field(f[0]),
        since: at(1),
        ...optional(2, 'rescheduledAt'),
      };
    case 'wrapup':
      return { type: 'wrapUpElapsed', activityId: field(f[0]), ...optional(1, 'until') };
    case 'conn':
      return { type: 'connectionTimeout', lastSeen: at(0), ...(f[1] === 'r' ? { rearmed: true } : {}) };
    case 'shift':
    case 'offline': {
      const id = field(f[0]);
      const shiftId = id.startsWith('~') ? `${userId}@${time(id.slice(1))}` : id;
      return { type: 'shiftAutoEnd', shiftId, ...optional(1, 'rescheduledAt') };
    }
  }
}

/** The compact form, or null when the command is not the one its kind schedules (then JSON). */
function compactMember({ userId, kind, command: c }: Timer): string | null {
  const t = (iso: string | undefined) => (iso === undefined ? [] : [ms36(iso)]);
  let fields: string[];
  if (kind === 'overage' && c.type === 'overageDue')
    fields = [c.statusId, ms36(c.since), ...t(c.rescheduledAt)];
  else if (kind === 'stale' && c.type === 'activityStale')
    fields = [c.activityId, ms36(c.since), ...t(c.rescheduledAt)];
  else if (kind === 'wrapup' && c.type === 'wrapUpElapsed') fields = [c.activityId, ...t(c.until)];
  else if (kind === 'conn' && c.type === 'connectionTimeout')
    fields = [ms36(c.lastSeen), ...(c.rearmed ? ['r'] : [])];
  else if ((kind === 'shift' || kind === 'offline') && c.type === 'shiftAutoEnd') {
    const own = `${userId}@`;
    const id = c.shiftId.startsWith(own) ? `~${ms36(c.shiftId.slice(own.length))}` : c.shiftId;
    fields = [id, ...t(c.rescheduledAt)];
  } else return null;
  if (fields.some((x) => x === '' || /\s/.test(x))) return null;
  return `${CODES[kind]}${userId} ${fields.join(' ')}`;
}

/** Base-36 epoch ms of an ISO time; a time that would not read back exactly makes the check fail (JSON form). */
function ms36(iso: string): string {
  return Date.parse(iso).toString(36);
}

function time(text: string | undefined): string {
  const ms = parseInt(field(text), 36);
  return new Date(ms).toISOString();
}

function field(text: string | undefined): string {
  if (text === undefined || text === '') throw new Error('timer member: missing field');
  return text;
}
