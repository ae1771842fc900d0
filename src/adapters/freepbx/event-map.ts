/**
 * Inbound AMI events → domain facts, through plain tables (STYLE practice 2).
 *
 * Pure: `mapEvent(msg)` returns what the event means and the adapter acts on it. Every table lists the
 * values it ignores with the explicit IGNORED marker, and every lookup names its fallback for values
 * the table does not know. Facts come from reference §3 (channels), §4/§8 (DND device state, presence,
 * queue member events) and §1 (FullyBooted).
 *
 * Offer or call, from Asterisk's source (channels/chan_pjsip.c, main/channel.c, apps/app_dial.c, app_queue.c):
 * - A device channel Asterisk creates to call the phone (Dial, Queue through Local/…@from-queue, Originate) is
 *   born `Down` (0, chan_pjsip_request → chan_pjsip_new(AST_STATE_DOWN)) and goes `Ringing` (5) on the phone's
 *   180: an offer. `Up` (6) — the phone answered — or entering a bridge makes it a call (DialEnd ANSWER says it
 *   too, for the dialled leg).
 * - A device channel the phone creates (its own INVITE: the agent dials out) is born `Ring` (4,
 *   chan_pjsip_new(AST_STATE_RING, session->exten)) with Exten = the digits dialled: a call at once, unless the
 *   digits are a feature code (`*76`, `*45`, …), which is never a call — even though its dialplan answers it.
 * - Missed: queue ring-no-answer is `AgentRingNoAnswer` (rna() in app_queue.c: ring timeout, the phone rejecting
 *   or unreachable; not sent to the other members of a ringall once one answers, nor when the caller hangs up).
 *   A direct or ring-group call that rings out ends its leg with `DialEnd DialStatus: NOANSWER`; CANCEL (caller
 *   gone, answered elsewhere, a queue giving up on the member) and BUSY (declined) are not misses.
 */
import type { PhonePresence } from '../pbx.js';
import { eventName, field, type AmiMessage } from './ami-message.js';
import type { ChannelFact, ChannelPhase } from './call-tracker.js';

/** Marks a known vendor value that deliberately means nothing to the domain. */
export const IGNORED = Symbol('ignored');
type Ignored = typeof IGNORED;

/** What one event means. */
export type MappedEvent =
  | { kind: 'channelOpen'; fact: ChannelFact }
  | { kind: 'channelClose'; uniqueid: string }
  /** A dialled device leg rang out (DialEnd NOANSWER). */
  | { kind: 'dialNoAnswer'; uniqueid: string }
  /** A queue gave up ringing the member (AgentRingNoAnswer); `attemptId` names this ring attempt. */
  | { kind: 'queueNoAnswer'; extension: string; linkedid: string; attemptId: string }
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

/**
 * Channel`State` (ast_state2str numbers) → what a device channel in it is. 'offer': Asterisk is calling the phone
 * (not answered yet); 'active': answered, or the phone itself is calling out; IGNORED: says nothing new.
 */
export const PHASE_BY_CHANNEL_STATE: Readonly<Record<string, 'offer' | 'active' | Ignored>> = {
  '0': 'offer', // Down: created by Asterisk to call the phone, not ringing yet
  '1': 'offer', // Rsrvd
  '2': 'active', // OffHook: the phone went off hook to dial
  '3': 'active', // Dialing
  '4': 'active', // Ring: the phone's own call (its INVITE), i.e. the agent dials out
  '5': 'offer', // Ringing: the phone rings
  '6': 'active', // Up: answered
  '7': IGNORED, // Busy: the far end is busy; the leg's Hangup follows
  '8': 'active', // Dialing Offhook
  '9': 'offer', // Pre-ring
  '10': 'active', // Mute
};
/** A state we cannot place counts as a call: deferring a status wrongly is safer than interrupting a call. */
const PHASE_FALLBACK = 'active' as const;

/** DialEnd `DialStatus` of a dialled device leg → what it means for the offer. */
export const OUTCOME_BY_DIAL_STATUS: Readonly<Record<string, 'answered' | 'noAnswer' | Ignored>> = {
  ANSWER: 'answered',
  NOANSWER: 'noAnswer', // rang out: a missed offer when no queue reports it (a queue does, with AgentRingNoAnswer)
  CANCEL: IGNORED, // caller hung up, answered elsewhere, or the queue gave up on the member: not missed
  BUSY: IGNORED, // declined on the phone, or busy
  CHANUNAVAIL: IGNORED,
  CONGESTION: IGNORED,
  DONTCALL: IGNORED,
  TORTURE: IGNORED,
  INVALIDARGS: IGNORED,
};
const DIAL_OUTCOME_FALLBACK: Ignored = IGNORED;

/**
 * FreePBX's feature codes (featurecodes module defaults: *76 DND, *45 queue toggle, *97 voicemail, **<ext>
 * pickup…) all start with "*"; a channel dialling one is the phone talking to the PBX, never a call. Codes an
 * admin renumbered to something else are not recognised (README "FreePBX").
 */
const FEATURE_CODE = /^\*/;

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
    // The dialled (Dest) leg: a device channel being called is an offer, whatever its inherited Exten says.
    dialbegin: (msg) => calleeOpen(msg, now(), 'offer'),
    dialend: (msg) => dialEnd(msg, now()),
    bridgeenter: (msg) => bridged(msg, now()),
    agentringnoanswer: (msg) => queueNoAnswer(msg, memberPattern),
    // The device channel tells the truth (a phone on DND or unreachable is rung by the queue but never rings):
    agentcalled: ignored, // the queue rings the member's Local/ interface; the phone's own leg is the offer
    agentconnect: ignored, // the phone's leg goes Up (and DialEnd ANSWER) at the same time
    agentcomplete: ignored, // the phone's leg hangs up
    agentdump: ignored,
    devicestatechange: dndChange,
    presencestatechange: presenceChange,
    queuememberadded: (msg) => queueChange(msg, memberPattern, { loggedIn: true }),
    queuememberremoved: (msg) => queueChange(msg, memberPattern, { loggedIn: false }),
    queuememberpause: (msg) => queueChange(msg, memberPattern, {}),
    fullybooted: fullyBooted,
    reload: queueReload,
  };
  return (msg: AmiMessage): MappedEvent => known(handlers, eventName(msg))?.(msg) ?? { kind: 'ignored' };
}

const ignored = (): MappedEvent => ({ kind: 'ignored' });

/** A table's own entry for a name the PBX sent: "constructor" or "toString" is unknown, not Object.prototype's. */
function known<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** What a device channel is, from its state and (first seen dialling out) the digits it dialled. */
export function channelPhase(state: string, exten: string, callee = false): ChannelPhase | null {
  const phase = known(PHASE_BY_CHANNEL_STATE, state) ?? PHASE_FALLBACK;
  if (phase === IGNORED) return null;
  return !callee && FEATURE_CODE.test(exten) ? 'excluded' : phase;
}

/** Newchannel / Newstate: the channel's own snapshot. */
function channelOpen(msg: AmiMessage, at: Date): MappedEvent {
  const phase = channelPhase(field(msg, 'channelstate'), field(msg, 'exten'));
  return phase ? openFact(msg, '', at, phase) : { kind: 'ignored' };
}

/** The Dest… snapshot of a Dial event: the leg Asterisk calls. */
function calleeOpen(msg: AmiMessage, at: Date, phase: ChannelPhase): MappedEvent {
  return openFact(msg, 'dest', at, phase);
}

function dialEnd(msg: AmiMessage, at: Date): MappedEvent {
  const outcome =
    known(OUTCOME_BY_DIAL_STATUS, field(msg, 'dialstatus').toUpperCase()) ?? DIAL_OUTCOME_FALLBACK;
  if (outcome === IGNORED) return { kind: 'ignored' };
  if (outcome === 'answered') return calleeOpen(msg, at, 'active');
  const uniqueid = field(msg, 'destuniqueid');
  if (!deviceOfChannel(field(msg, 'destchannel')) || !uniqueid) return { kind: 'ignored' };
  return { kind: 'dialNoAnswer', uniqueid };
}

/** A device channel in a bridge is in a call (a feature-code channel seen before stays excluded). */
function bridged(msg: AmiMessage, at: Date): MappedEvent {
  return openFact(msg, '', at, 'active');
}

function openFact(msg: AmiMessage, prefix: '' | 'dest', at: Date, phase: ChannelPhase): MappedEvent {
  const extension = deviceOfChannel(field(msg, `${prefix}channel`));
  const uniqueid = field(msg, `${prefix}uniqueid`);
  const linkedid = field(msg, `${prefix}linkedid`) || uniqueid;
  if (!extension || !uniqueid) return { kind: 'ignored' };
  return { kind: 'channelOpen', fact: { uniqueid, extension, linkedid, since: at, phase } };
}

/** AgentRingNoAnswer: `Interface` is the member (Local/<ext>@from-queue/n), Dest… its Local/ leg of this attempt. */
function queueNoAnswer(msg: AmiMessage, member: RegExp): MappedEvent {
  const extension = member.exec(field(msg, 'interface'))?.[1];
  const linkedid = field(msg, 'destlinkedid') || field(msg, 'linkedid');
  if (!extension || !linkedid) return { kind: 'ignored' };
  return { kind: 'queueNoAnswer', extension, linkedid, attemptId: field(msg, 'destuniqueid') };
}

function channelClose(msg: AmiMessage): MappedEvent {
  const uniqueid = field(msg, 'uniqueid');
  if (!deviceOfChannel(field(msg, 'channel')) || !uniqueid) return { kind: 'ignored' };
  return { kind: 'channelClose', uniqueid };
}

function dndChange(msg: AmiMessage): MappedEvent {
  const extension = DND_DEVICE.exec(field(msg, 'device'))?.[1];
  if (!extension) return { kind: 'ignored' };
  const dnd = known(DND_BY_DEVICE_STATE, field(msg, 'state').toUpperCase()) ?? DND_FALLBACK;
  if (dnd === IGNORED) return { kind: 'ignored' };
  return { kind: 'presence', extension, presence: { dnd } };
}

function presenceChange(msg: AmiMessage): MappedEvent {
  const extension = CUSTOM_PRESENCE.exec(field(msg, 'presentity'))?.[1];
  if (!extension) return { kind: 'ignored' };
  const status = field(msg, 'status').toLowerCase();
  const presence = known(PRESENCE_BY_STATUS, status) ?? presenceFallback(status);
  if (presence === IGNORED) return { kind: 'ignored' };
  return { kind: 'presence', extension, presence: { presence } };
}

function queueChange(msg: AmiMessage, member: RegExp, base: { loggedIn?: boolean }): MappedEvent {
  const extension = member.exec(field(msg, 'interface'))?.[1];
  if (!extension) return { kind: 'ignored' };
  const paused = known(PAUSED_BY_FLAG, field(msg, 'paused'));
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
