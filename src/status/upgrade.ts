/**
 * States are stored as JSON and outlive the code that wrote them: a state written by an earlier version lacks the
 * fields added since. upgradeState() fills them in on load, so the rest of the code may rely on the current shape.
 * Pure; a state that is already current comes back as the same object.
 */
import type { UserState } from './model.js';

type Stored = Omit<UserState, 'offers' | 'endedOffers' | 'missedOffers' | 'wrapUp'> &
  Partial<Pick<UserState, 'offers' | 'endedOffers' | 'missedOffers'>> & {
    wrapUp: { activityId: string; since?: string; until: string } | null;
  };

export function upgradeState(stored: Stored): UserState {
  const { offers, endedOffers, missedOffers, wrapUp } = stored;
  if (offers && endedOffers && missedOffers && (!wrapUp || wrapUp.since)) return stored as UserState;
  return {
    ...stored,
    offers: offers ?? [],
    endedOffers: endedOffers ?? [],
    missedOffers: missedOffers ?? { consecutive: 0, recent: [] },
    wrapUp: wrapUp ? { ...wrapUp, since: wrapUp.since ?? wrapUpStart(stored, wrapUp) } : null,
  };
}

/** A wrap-up started when its call ended, which the activity tombstones still know; else its end is all we have. */
function wrapUpStart(stored: Stored, wrapUp: { activityId: string; until: string }): string {
  return stored.endedActivities.find((t) => t.id === wrapUp.activityId)?.endedAt ?? wrapUp.until;
}
