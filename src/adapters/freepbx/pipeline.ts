/**
 * Independent AMI actions in flight together (pipelined on the one link, matched by ActionID) instead of one round
 * trip each. Each completes or fails on its own; the caller sees all of them settle before any failure is thrown, so
 * no write is left running unobserved and what each one did is recorded.
 */
import { PbxError } from '../pbx.js';

/** Waits for every promise; then throws the first retryable failure, else the first failure, else the values. */
export async function allSettled<T extends readonly unknown[]>(
  work: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(work);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const first = failures.find((f) => !(f.reason instanceof PbxError) || f.reason.retryable) ?? failures[0];
  if (first) throw first.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
