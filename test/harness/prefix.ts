import { randomUUID } from 'node:crypto';

/** A key prefix no other test uses, so tests share one Redis without seeing each other's keys. */
export function uniquePrefix(name = 't'): string {
  return `pbtest:${name}:${randomUUID().slice(0, 8)}:`;
}
