/** When a failed delivery is tried again: exponential backoff with jitter, until the retry window closes. Pure. */

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** How long after the first attempt a delivery may still be retried. */
  retryForMs: number;
}

/** Delay after the `attempts`-th failed attempt (1-based): initial·2^(n-1), capped, ±20 % jitter. */
export function backoffMs(policy: RetryPolicy, attempts: number, random = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The time of the next attempt, or null when it would fall outside the retry window (the delivery fails). */
export function nextAttemptAt(
  policy: RetryPolicy,
  firstAttemptMs: number,
  attempts: number,
  nowMs: number,
  random = Math.random,
): number | null {
  const at = nowMs + backoffMs(policy, attempts, random);
  return at > firstAttemptMs + policy.retryForMs ? null : at;
}
