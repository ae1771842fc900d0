/**
 * A long-lived connection as a loop, not recursion: run a session until it ends (closed or failed), wait
 * a capped, jittered backoff, run it again — until stopped. A session that got established resets the
 * backoff, so a healthy connection that drops reconnects quickly and a PBX that is down is not hammered.
 */

export interface SessionContext {
  signal: AbortSignal;
  /** Call once the connection is up (resets the backoff). */
  established(): void;
}

/** Resolves when the connection ends normally; rejects when it fails. */
export type Session = (ctx: SessionContext) => Promise<void>;

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface LoopOptions {
  signal: AbortSignal;
  backoff: Backoff;
  onFailure: (err: unknown) => void;
  random?: () => number;
}

export async function runReconnectLoop(session: Session, options: LoopOptions): Promise<void> {
  const { signal } = options;
  let attempt = 0;
  while (!signal.aborted) {
    let established = false;
    try {
      await session({ signal, established: () => (established = true) });
    } catch (err) {
      if (!signal.aborted) options.onFailure(err);
    }
    if (established) attempt = 0;
    await sleep(backoffDelay(attempt++, options.backoff, options.random), signal);
  }
}

/** Exponential, capped, with "equal jitter": half fixed, half random, so restarts do not synchronise. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const cap = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts. Uses the global timer so fake timers apply. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
