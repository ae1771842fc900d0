/**
 * The root logger. Structured (constant message, ids in fields); secrets redacted by path so that a key or a
 * PBX password can never reach a log line even when a whole object is logged by mistake.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'key',
  '*.key',
  'secret',
  '*.secret',
  '*.*.secret',
  'clientSecret',
  '*.clientSecret',
  'password',
  '*.password',
  'config.auth.keys',
  'auth.keys',
];

/** `destination`: where JSON lines go (stdout by default), e.g. a prettyDestination() on a terminal. */
export function createLogger(level: string, destination?: { write(chunk: string): unknown }): Logger {
  const options = {
    level,
    base: { service: 'presence-bridge' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination as unknown as pino.DestinationStream) : pino(options);
}

export type { Logger };
