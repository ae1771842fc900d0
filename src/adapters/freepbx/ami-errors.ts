/**
 * AMI error responses → PbxError, in one table.
 *
 * AMI reports failures only as `Response: Error` + free text (reference §4/§5), so this is the single
 * place where message text is inspected; everything above works with PbxError codes. Texts are matched
 * case-insensitively by substring because Asterisk versions prefix them differently
 * ("Unable to add interface to queue: No such queue").
 */
import { PbxError, type PbxErrorCode } from '../pbx.js';
import { isSuccess, messageOf, type AmiMessage } from './ami-message.js';

/** Outcomes the caller asked to accept as success ("Already there" when adding is what we wanted). */
export type Tolerated = readonly string[];

const ERROR_TABLE: ReadonlyArray<{ text: string; code: PbxErrorCode }> = [
  { text: 'permission denied', code: 'PBX_PERMISSION_DENIED' },
  { text: 'member not dynamic', code: 'PBX_PERMISSION_DENIED' },
  { text: 'no such queue', code: 'PBX_UNKNOWN_VALUE' },
  { text: 'authentication failed', code: 'PBX_AUTH_FAILED' },
];

/** Resolves when `res` is a success or a tolerated error; throws the mapped PbxError otherwise. */
export function requireSuccess(res: AmiMessage, what: string, tolerated: Tolerated = []): AmiMessage {
  if (isSuccess(res)) return res;
  const text = messageOf(res).toLowerCase();
  if (tolerated.some((t) => text.includes(t.toLowerCase()))) return res;
  throw toPbxError(res, what);
}

/** Maps an error response to a PbxError; unknown texts become PBX_PROTOCOL (permanent). */
export function toPbxError(res: AmiMessage, what: string): PbxError {
  const text = messageOf(res);
  const hit = ERROR_TABLE.find((row) => text.toLowerCase().includes(row.text));
  return new PbxError(hit?.code ?? 'PBX_PROTOCOL', `${what} failed: ${text || 'no message'}`);
}

/** True when an error response's message contains `text` (case-insensitive). */
export function errorSays(res: AmiMessage, text: string): boolean {
  return !isSuccess(res) && messageOf(res).toLowerCase().includes(text.toLowerCase());
}

export function unavailable(reason: string): PbxError {
  return new PbxError('PBX_UNAVAILABLE', reason);
}
