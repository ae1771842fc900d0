/**
 * AMI messages as asterisk-manager 0.2.0 parses them, and safe accessors.
 *
 * The package lower-cases header names, turns repeated headers into arrays and `Variable:` lines into a
 * sub-object (reference §2). Nothing from the wire is trusted to have a shape: every read goes through
 * {@link field}, which yields '' for a missing or odd value, so a malformed frame cannot throw.
 */

export type AmiValue = string | string[] | Record<string, string>;

/** One parsed block: a response (has `response`) or an event (has `event`). Keys are lower case. */
export type AmiMessage = Record<string, AmiValue | undefined>;

/** An action to send: header name → value. Values are cleaned before they reach the socket. */
export type AmiAction = Record<string, string>;

/** First string value of a header ('' when absent or not a string). Names are matched lower-cased. */
export function field(msg: AmiMessage, name: string): string {
  const value = msg[name.toLowerCase()];
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value[0] ?? '';
  return '';
}

/** Every string value of a repeated header, in wire order. */
export function fields(msg: AmiMessage, name: string): string[] {
  const value = msg[name.toLowerCase()];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value : [];
}

export function isSuccess(msg: AmiMessage): boolean {
  return field(msg, 'response').toLowerCase() === 'success';
}

/** The `Message:` text of a response (the first one; PresenceState sends two). */
export function messageOf(msg: AmiMessage): string {
  return field(msg, 'message');
}

/** Event name, lower-cased ('' for responses and junk). */
export function eventName(msg: AmiMessage): string {
  return field(msg, 'event').toLowerCase();
}

/**
 * Removes CR and LF: AMI frames are line based and the package escapes nothing, so a newline in a
 * value (a presence message typed by a user) would inject headers or end the action early.
 */
export function clean(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** The action with every name and value cleaned. */
export function cleanAction(action: AmiAction): AmiAction {
  const out: AmiAction = {};
  for (const [name, value] of Object.entries(action)) out[clean(name)] = clean(value);
  return out;
}
