/**
 * Active calls from `CoreShowChannels` (reference §3 "Reconcile after (re)connect", wire sample §9).
 *
 * The listing carries the same channel snapshot fields as Newchannel plus `Application`, `Duration` (hh:mm:ss)
 * and `BridgeId`, so the same channel-name rule picks the phone legs and the call's start is now − duration.
 * The phase is read as live events are (event-map.ts channelPhase), with what a listing adds: a bridged leg is in
 * a call, and a leg Asterisk dialled (Application AppDial) is a callee whose Exten is inherited from its caller,
 * never a feature code. A feature-code channel answered by its dialplan (Up, not bridged) stays excluded.
 */
import { requireSuccess } from './ami-errors.js';
import { eventName, field, type AmiMessage } from './ami-message.js';
import type { AmiPort } from './astdb.js';
import type { ChannelFact, ChannelPhase } from './call-tracker.js';
import { channelPhase, deviceOfChannel } from './event-map.js';

/** Lists the phone-leg channels now up on Asterisk. */
export async function listChannels(ami: AmiPort, now: Date): Promise<ChannelFact[]> {
  const { response, items } = await ami.list({ Action: 'CoreShowChannels' }, 'CoreShowChannelsComplete');
  requireSuccess(response, 'CoreShowChannels');
  return items
    .filter((item) => eventName(item) === 'coreshowchannel')
    .map((item) => toFact(item, now))
    .filter((fact) => fact !== null);
}

function toFact(item: AmiMessage, now: Date): ChannelFact | null {
  const extension = deviceOfChannel(field(item, 'channel'));
  const uniqueid = field(item, 'uniqueid');
  if (!extension || !uniqueid) return null;
  const linkedid = field(item, 'linkedid') || uniqueid;
  const since = new Date(now.getTime() - durationMs(field(item, 'duration')));
  const phase = phaseOf(item);
  return phase ? { uniqueid, extension, linkedid, since, phase } : null;
}

function phaseOf(item: AmiMessage): ChannelPhase | null {
  const callee = field(item, 'application') === 'AppDial';
  const phase = channelPhase(field(item, 'channelstate'), field(item, 'exten'), callee);
  if (field(item, 'bridgeid') && phase !== 'excluded') return 'active';
  return phase;
}

/** "01:02:03" → ms; anything else → 0. */
export function durationMs(text: string): number {
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec(text);
  if (!match) return 0;
  const [, h, m, s] = match.map(Number);
  return (((h ?? 0) * 60 + (m ?? 0)) * 60 + (s ?? 0)) * 1000;
}
