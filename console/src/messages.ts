/** API refusals as sentences for people. Told apart by `code` (never by message text), with `details` filled in. */
import { ApiError } from './api.js';

export interface MessageContext {
  /** Name of the status the request was about. */
  statusName?: string;
  /** Name of the user's current status. */
  currentName?: string;
}

const num = (value: unknown): string => (typeof value === 'number' ? String(value) : '?');

export function describeError(err: unknown, ctx: MessageContext = {}): string {
  if (!(err instanceof ApiError)) return 'Something went wrong in the console. Reload the page.';
  const status = ctx.statusName ? `“${ctx.statusName}”` : 'this status';
  switch (err.code) {
    case 'STATUS_LIMIT_REACHED':
      return typeof err.details.limit === 'number'
        ? `Limit reached: ${status} may be used ${num(err.details.limit)} times per shift, and you have used it ${num(err.details.used)} times.`
        : `Limit reached: ${status} may not be used again this shift.`;
    case 'NO_SHIFT':
      return 'No shift is started. Start your shift first.';
    case 'SHIFT_ALREADY_STARTED':
      return 'Your shift has already started.';
    case 'CANNOT_END_SHIFT':
      return `The shift cannot be ended from ${ctx.currentName ? `“${ctx.currentName}”` : 'the current status'}. Change to a status that can end a shift first.`;
    case 'USER_ENGAGED':
      return 'Not possible during a call, task or wrap-up. Try again when it is over.';
    case 'NOT_IN_WRAP_UP':
      return 'The wrap-up is already over.';
    case 'WRAP_UP_LIMIT_REACHED':
      return typeof err.details.maxSeconds === 'number'
        ? `The wrap-up cannot last longer than ${Math.round(err.details.maxSeconds / 60)} min after the call (${num(err.details.remainingSeconds)} s left to add).`
        : 'The wrap-up cannot be extended any further.';
    case 'STATUS_TYPE_NOT_FOUND':
      return `${status === 'this status' ? 'This status' : status} no longer exists. The list has been refreshed.`;
    case 'VERSION_CONFLICT':
      return 'It changed meanwhile. The screen has been refreshed; try again.';
    case 'USER_NOT_FOUND':
      return 'This user is not in the directory.';
    case 'FORBIDDEN':
      return 'Your key is not allowed to do this.';
    case 'UNAUTHENTICATED':
      return 'The key was not accepted. Sign in again.';
    case 'NETWORK':
      return 'The server cannot be reached. Check the network; the console keeps trying.';
    case 'NOT_READY':
      return 'The server is not ready (its database may be unreachable). Try again in a moment.';
    case 'RATE_LIMITED':
      return 'Too many requests. Wait a moment and try again.';
    default:
      return sentence(err.message);
  }
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return 'The request failed.';
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
