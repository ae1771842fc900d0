/**
 * The missed-offer verdicts of the call tracker (call-tracker.ts due()) come due `missedOfferGraceMs` after a
 * ringing leg was removed; this loop collects them a few times per grace period and reports them, until stopped.
 */
import type { CallChange, CallTracker } from './call-tracker.js';
import { sleep } from './reconnect-loop.js';

export async function runMissedOfferChecks(
  tracker: Pick<CallTracker, 'due'>,
  report: (change: CallChange) => void,
  graceMs: number,
  signal: AbortSignal,
): Promise<void> {
  const every = Math.max(10, Math.min(500, Math.floor(graceMs / 4)));
  while (!signal.aborted) {
    await sleep(every, signal);
    for (const change of tracker.due()) report(change);
  }
}
