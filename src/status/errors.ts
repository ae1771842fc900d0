/**
 * The domain's error catalogue: every refusal decide() can return, each with a stable code and the HTTP
 * status the API answers with. The HTTP layer's catalogue mirrors DOMAIN_ERROR_CODES; clients and tests
 * tell errors apart by `code`, never by message text. Messages are constant; ids and numbers go in
 * `details`.
 */

export const DOMAIN_ERRORS = {
  STATUS_TYPE_NOT_FOUND: { statusCode: 404, message: 'The status type does not exist' },
  /** details: {limit, used} */
  STATUS_LIMIT_REACHED: {
    statusCode: 409,
    message: 'The status was already used as often as allowed this shift',
  },
  NO_SHIFT: { statusCode: 409, message: 'The user has no started shift' },
  SHIFT_ALREADY_STARTED: { statusCode: 409, message: 'The user already has a started shift' },
  CANNOT_END_SHIFT: { statusCode: 409, message: 'The shift cannot be ended from the current status' },
  USER_ENGAGED: { statusCode: 409, message: 'The user is engaged in an activity or wrap-up' },
  NOT_IN_WRAP_UP: { statusCode: 409, message: 'The user is not in wrap-up' },
  /** details: {maxSeconds, remainingSeconds} (how many seconds the wrap-up could still be extended by) */
  WRAP_UP_LIMIT_REACHED: {
    statusCode: 409,
    message: 'The wrap-up would last longer than the configured maximum',
  },
  /** details: {limit} (status.maxOpenActivities) */
  TOO_MANY_ACTIVITIES: { statusCode: 409, message: 'The user has as many open activities as allowed' },
  /** The injected clock gave something that is not a time: a bug in the caller, never the client's fault. */
  INVALID_TIME: { statusCode: 500, message: 'The current time is not a valid ISO-8601 time' },
} as const satisfies Record<string, { statusCode: number; message: string }>;

export type DomainErrorCode = keyof typeof DOMAIN_ERRORS;

export const DOMAIN_ERROR_CODES = Object.keys(DOMAIN_ERRORS) as readonly DomainErrorCode[];

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: DomainErrorCode;
  /** HTTP status the API answers with (named as Fastify expects it). */
  readonly statusCode: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DomainErrorCode, details: Record<string, unknown> = {}) {
    super(DOMAIN_ERRORS[code].message);
    this.code = code;
    this.statusCode = DOMAIN_ERRORS[code].statusCode;
    this.details = details;
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
