/**
 * The missed-offer figure of reports: how many offers (calls that rang the user's phone) the user let ring out
 * inside the report window, as recorded when each `user.offer.missed` was committed. Only misses that counted
 * are in the log (the user was free and in a status taking queue calls; see src/status/offers.ts). Pure.
 */
import type { Interval } from './intervals.js';

export function missedOffersIn(records: ReadonlyArray<{ at: string }>, window: Interval): number {
  return records.filter((r) => {
    const at = Date.parse(r.at);
    return at >= window.start && at < window.end;
  }).length;
}
