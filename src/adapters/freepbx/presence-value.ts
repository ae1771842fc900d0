/**
 * Domain presence → the value FreePBX writes to `PRESENCE_STATE(CustomPresence:<ext>)` (reference §4).
 *
 * FreePBX writes `<state>,,<message>` (empty subtype). Asterisk splits the value on commas
 * (func_presencestate.c parse_data), so a message containing a comma is sent base64-encoded with
 * option `e`: `<state>,<b64 subtype>,<b64 message>,e`; readers get the decoded text either way.
 */
import type { FreepbxPresenceState } from '../pbx.js';
import { clean } from './ami-message.js';

/** Asterisk's presence states (presencestate.c state2string). */
export type AsteriskPresence = 'not_set' | 'unavailable' | 'available' | 'away' | 'xa' | 'chat' | 'dnd';

export const PRESENCE_TO_ASTERISK: Readonly<Record<FreepbxPresenceState, AsteriskPresence>> = {
  available: 'available',
  chat: 'chat',
  away: 'away',
  dnd: 'dnd',
  xa: 'xa',
  unavailable: 'unavailable',
  not_set: 'not_set',
  invisible: 'unavailable', // Asterisk has no "invisible"; appearing offline is its meaning
};

/**
 * Asterisk decodes into 256-byte buffers and reports the message in a 256-byte header buffer; AMI lines
 * are limited to 1024 bytes (reference §1). Messages are cut (on a character boundary) below all three,
 * so what we read back equals what we wrote and apply() stays idempotent.
 */
export const MAX_MESSAGE_BYTES = 200;

export interface PresenceValue {
  state: AsteriskPresence;
  message: string;
}

/** The presence we want on the PBX, normalized the way Asterisk will report it back. */
export function desiredPresence(state: FreepbxPresenceState, message: string | undefined): PresenceValue {
  const text = truncateUtf8(clean(message ?? '').trim(), MAX_MESSAGE_BYTES).trim();
  return { state: PRESENCE_TO_ASTERISK[state], message: text };
}

/** The longest prefix of whole characters whose UTF-8 form fits in `maxBytes`. */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    out += char;
  }
  return out;
}

/** The Setvar value for PRESENCE_STATE(CustomPresence:<ext>). */
export function encodePresence(value: PresenceValue): string {
  if (!value.message.includes(',')) return `${value.state},,${value.message}`;
  const b64 = Buffer.from(value.message, 'utf8').toString('base64');
  return `${value.state},,${b64},e`;
}
