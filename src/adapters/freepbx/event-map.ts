/**
 * Inbound AMI events → domain facts, through plain tables (STYLE practice 2).
 *
 * Pure: `mapEvent(msg)` returns what the event means and the adapter acts on it. Every table lists the
 * values it ignores with the explicit IGNORED marker, and every lookup names its fallback for values
 * the table does not know. Facts come from reference §3 (channels), §4/§8 (DND device state, presence,
 * queue member events) and §1 (FullyBooted).
 */
import type { PhonePresence } from '../pbx.js';
import { eventName, field, type AmiMessage } from './ami-message.js';
import type { ChannelFact } from './call-tracker.js';

/** Marks a known vendor value that deliberately means nothing to the domain. */
export const IGNORED = Symbol('ignored');
type Ignored = typeof IGNORED;

/** What one event means. */
export type MappedEvent =
  | { kind: 'channelOpen'; fact: ChannelFact }
  | { kind: 'channelClose'; uniqueid: string }
  | { kind: 'presence'; extension: string; presence: PhonePresence }
  | { kind: 'fullyBooted'; uptimeSeconds: number }
  /** app_queue was reloaded: static members keep their pause but lose its reason (reload_single_member). */
  | { kind: 'queueReload'; module: string }
  | { kind: 'ignored' };

/** `Custom:DND<ext>` device state → DND on/off. FreePBX writes BUSY / UNAVAILABLE (reference §4). */
export const DND_BY_DEVICE_STATE: Readonly<Record<string, boolean | Ignored>> = {
  BUSY: true,
  UNAVAILABLE: false,
  NOT_INUSE: false, // older FreePBX releases and hand-made BLFs use it for "off"
  UNKNOWN: IGNORED, // never set: says nothing about DND
  INVALID: IGNORED,
  INUSE: IGNORED,
  RINGING: IGNORED,
  RINGINUSE: IGNORED,
  ONHOLD: IGNORED,
};
const DND_FALLBACK: Ignored = IGNORED;

/** PresenceStateChange `Status` → presence as reported (Asterisk's own strings, reference §4). */
export const PRESENCE_BY_STATUS: Readonly<Record<string, string | Ignored>> = {
  not_set: 'not_set',
  unavailable: 'unavailable',
  available: 'available',
  away: 'away',
  xa: 'xa',
  chat: 'chat',
  dnd: 'dnd',
  '': IGNORED, // AST_PRESENCE_INVALID prints as an empty string
};
/** Unknown statuses pass through as reported: the port says "as the PBX reports it". */
const presenceFallback = (status: string): string => status;

/** QueueMember* `Paused` → paused. */
export const PAUSED_BY_FLAG: Readonly<Record<string, boolean>> = { '1': true, '0': false };

/** Real device channels of a phone (reference §3); Local/ halves, trunks of other techs etc. do not match. */
const DEVICE_CHANNEL = /^(?:PJSIP|SIP|IAX2)\/(.+)-[0-9a-f]+$/i;
const DND_DEVICE = /^Custom:DND(.+)$/i;
const CUSTOM_PRESENCE = /^CustomPresence:(.+)$/i;

/** The device (= extension in FreePBX's default mode) of a channel name, or null when not a phone leg. */
export function deviceOfChannel(channel: string): string | null {
  return DEVICE_CHANNEL.exec(channel)?.[1] ?? null;
}

/** Builds the mapper; `memberInterfaceTemplate` tells which queue members are ours and their extension. */
export function createEventMapper(memberInterfaceTemplate: string, now: () => Date = () => new Date()) {
  const memberPattern = templatePattern(memberInterfaceTemplate);
  const handlers: Readonly<Record<string, (msg: AmiMessage) => MappedEvent>> = {
    newchannel: (msg) => channelOpen(msg, now()),
    newstate: (msg) => channelOpen(msg, now()),
    hangup: channelClose,
    devicestatechange: dndChange,
    presencestatechange: presenceChange,
    queuememberadded: (msg) => queueChange(msg, memberPattern, { loggedIn: true }),
    queuememberremoved: (msg) => queueChange(msg, memberPattern, { loggedIn: false }),
    queuememberpause: (msg) => queueChange(msg, memberPattern, {}),
    fullybooted: fullyBooted,
    reload: queueReload,
  };
  return (msg: AmiMessage): MappedEvent => handlers[eventName(msg)]?.(msg) ?? { kind: 'ignored' };
}

function channelOpen(msg: AmiMessage, at: Date): MappedEvent {
  const extension = deviceOfChannel(field(msg, 'channel'));
  const uniqueid = field(msg, 'uniqueid');
  const linkedid = field(msg, 'linkedid') || uniqueid;
  if (!extension || !uniqueid) return { kind: 'ignored' };
  return { kind: 'channelOpen', fact: { uniqueid, extension, linkedid, since: at } };
}

function channelClose(msg: AmiMessage): MappedEvent {
  const uniqueid = field(msg, 'uniqueid');
  if (!deviceOfChannel(field(msg, 'channel')) || !uniqueid) return { kind: 'ignored' };
  return { kind: 'channelClose', uniqueid };
}

function dndChange(msg: AmiMessage): MappedEvent {
  const extension = DND_DEVICE.exec(field(msg, 'device'))?.[1];
  if (!extension) return { kind: 'ignored' };
  const dnd = DND_BY_DEVICE_STATE[field(msg, 'state').toUpperCase()] ?? DND_FALLBACK;
  if (dnd === IGNORED) return { kind: 'ignored' };
  return { kind: 'presence', extension, presence: { dnd } };
}

function presenceChange(msg: AmiMessage): MappedEvent {
  const extension = CUSTOM_PRESENCE.exec(field(msg, 'presentity'))?.[1];
  if (!extension) return { kind: 'ignored' };
  const status = field(msg, 'status').toLowerCase();
  const presence = PRESENCE_BY_STATUS[status] ?? presenceFallback(status);
  if (presence === IGNORED) return { kind: 'ignored' };
  return { kind: 'presence', extension, presence: { presence } };
}

function queueChange(msg: AmiMessage, member: RegExp, base: { loggedIn?: boolean }): MappedEvent {
  const extension = member.exec(field(msg, 'interface'))?.[1];
  if (!extension) return { kind: 'ignored' };
  const paused = PAUSED_BY_FLAG[field(msg, 'paused')];
  const queue: NonNullable<PhonePresence['queue']> = { ...base, queue: field(msg, 'queue') };
  if (paused !== undefined && base.loggedIn !== false) queue.paused = paused;
  if (paused) queue.reason = field(msg, 'pausedreason');
  if (queue.loggedIn === undefined && queue.paused === undefined) return { kind: 'ignored' };
  return { kind: 'presence', extension, presence: { queue } };
}

function fullyBooted(msg: AmiMessage): MappedEvent {
  const uptimeSeconds = Number(field(msg, 'uptime'));
  if (!field(msg, 'uptime') || !Number.isFinite(uptimeSeconds)) return { kind: 'ignored' };
  return { kind: 'fullyBooted', uptimeSeconds };
}

/**
 * `Reload` (main/loader.c publish_reload_message, class system): `Module` is the name the reload was asked for
 * (`app_queue.so`, `app_queue`) or `All` for a full reload (FreePBX "Apply Config"); `Status` 0 = success. The
 * `QueueReload` action and CLI `queue reload` reload app_queue without this event (not observable).
 */
const QUEUE_MODULE = /^(?:app_queue(?:\.so)?|all)$/i;
const RELOAD_DONE = new Set(['0', '']);

function queueReload(msg: AmiMessage): MappedEvent {
  const module = field(msg, 'module');
  if (!QUEUE_MODULE.test(module) || !RELOAD_DONE.has(field(msg, 'status'))) return { kind: 'ignored' };
  return { kind: 'queueReload', module };
}

/** `Local/{ext}@from-queue/n` → /^Local\/(.+?)@from-queue\/n$/i (interfaces match case-insensitively). */
export function templatePattern(template: string): RegExp {
  const parts = template.split('{ext}').map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${parts.join('(.+?)')}$`, 'i');
}
