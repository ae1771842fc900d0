/**
 * Whether an error means "Redis is not there right now" (→ 503 NOT_READY, retry later) rather than a bug.
 * ioredis gives these failures no error codes, so this is the one place that recognises them by their text;
 * nothing else in the code base looks at error messages.
 */
const UNAVAILABLE = [
  "Stream isn't writeable",
  'Connection is closed',
  'Command timed out',
  'connect ECONNREFUSED',
  'LOADING',
  'MaxRetriesPerRequestError',
  'Reached the max retries per request limit',
];

export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT')
    return true;
  return UNAVAILABLE.some((text) => err.message.includes(text) || err.name.includes(text));
}
