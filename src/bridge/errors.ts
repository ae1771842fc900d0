/**
 * The one error catalogue of the HTTP API. Every code a client can see is listed here with its HTTP status;
 * README and the served OpenAPI mirror this table. Domain errors (src/status) carry their own code and status
 * and pass through unchanged. Never tell errors apart by message text.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: {
    status: 400,
    description: 'The request does not match the schema; details.issues lists each problem.',
  },
  INVALID_JSON: { status: 400, description: 'The body is not valid JSON.' },
  INVALID_YAML: {
    status: 400,
    description: 'The body is not valid YAML (PUT /v1/status-types); details.line when known.',
  },
  UNAUTHENTICATED: { status: 401, description: 'Missing or unknown bearer key.' },
  FORBIDDEN: { status: 403, description: 'The key is known but its role may not do this.' },
  NOT_FOUND: { status: 404, description: 'No such route.' },
  STATUS_TYPE_NOT_FOUND: { status: 404, description: 'No status type with this id.' },
  USER_NOT_FOUND: { status: 404, description: 'No user with this id.' },
  WEBHOOK_NOT_FOUND: { status: 404, description: 'No webhook endpoint with this id.' },
  WEBHOOK_DELIVERY_NOT_FOUND: {
    status: 404,
    description: "No delivery with this id among the endpoint's kept records (webhooks.keepDeliveries).",
  },
  WEBHOOK_EXISTS: {
    status: 409,
    description: 'A webhook endpoint with this id exists (in Redis or the configuration).',
  },
  WEBHOOK_FROM_CONFIG: {
    status: 409,
    description: 'The endpoint is defined in the configuration file; change it there.',
  },
  WEBHOOK_DELIVERY_PENDING: {
    status: 409,
    description: 'The delivery is still being attempted; redeliver it once it is delivered or failed.',
  },
  WEBHOOK_TARGET_FORBIDDEN: {
    status: 422,
    description: 'The URL is not allowed by webhooks.allow (or resolves to a private or reserved address).',
  },
  NAME_TAKEN: { status: 409, description: 'Another status type has this name (case-insensitive).' },
  BUILT_IN: { status: 409, description: 'Built-in status types cannot be deleted.' },
  STATUS_TYPE_IN_USE: {
    status: 409,
    description: 'A user is in this status type or has it upcoming, or the configuration names it.',
  },
  VERSION_CONFLICT: { status: 409, description: 'If-Match did not match the current version.' },
  STATUS_LIMIT_REACHED: { status: 409, description: 'The per-shift limit of this status type is reached.' },
  NO_SHIFT: { status: 409, description: 'No shift is started (and one is required), or none to end.' },
  SHIFT_ALREADY_STARTED: { status: 409, description: 'A shift is already started.' },
  CANNOT_END_SHIFT: { status: 409, description: 'The current status type cannot end a shift.' },
  USER_ENGAGED: { status: 409, description: 'The user is in an activity or wrap-up.' },
  NOT_IN_WRAP_UP: { status: 409, description: 'The user has no wrap-up running.' },
  WRAP_UP_LIMIT_REACHED: {
    status: 409,
    description:
      'The extension would make the wrap-up longer than status.wrapUpMaxSeconds; details: {maxSeconds, remainingSeconds}.',
  },
  TOO_MANY_ACTIVITIES: {
    status: 409,
    description: 'The user already has status.maxOpenActivities open activities; details: {limit}.',
  },
  RATE_LIMITED: {
    status: 429,
    description:
      'Too many requests of this kind for this key (e.g. heartbeats per key and user); wait Retry-After seconds. details: {limit, retryAfterSeconds}.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body is over 64 KiB.' },
  REQUEST_TIMEOUT: {
    status: 408,
    description:
      'The request (headers and body) did not arrive within server.requestTimeoutMs; the connection is closed.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The body is not JSON: send the header "Content-Type: application/json".',
  },
  TOO_MANY_STREAMS: {
    status: 429,
    description:
      'Too many event streams (or resumes) open for this key or on this daemon; retry after Retry-After seconds.',
  },
  REPORTS_BUSY: {
    status: 429,
    description:
      'Too many reports are running (reports.maxConcurrent) or waiting; retry after Retry-After seconds.',
  },
  HEADERS_TOO_LARGE: { status: 431, description: 'The request headers are over 16 KiB.' },
  INTERNAL: { status: 500, description: 'Unexpected error; details are in the server log.' },
  NOT_READY: { status: 503, description: 'Redis is unreachable or the daemon is starting or stopping.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ValidationIssue {
  path: string;
  message: string;
}

/** An error the API answers with as-is: stable code, HTTP status, human message, optional details. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = ERROR_CATALOGUE[code].status;
  }
}

export const validationFailed = (issues: ValidationIssue[]): ApiError =>
  new ApiError('VALIDATION_FAILED', 'the request is invalid', { issues });

export const notReady = (why = 'redis is unreachable'): ApiError =>
  new ApiError('NOT_READY', `not ready: ${why}`);
