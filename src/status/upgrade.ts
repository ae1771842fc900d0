/**
 * States are stored as JSON and outlive the code that wrote them: a state written by an earlier version lacks the
 * fields added since. upgradeState() fills them in on load, so the rest of the code may rely on the current shape.
 * Pure; a state that is already current comes back as the same object.
 */
import { systemActor } from './actor.js';
import type { UserState } from './model.js';

/** Who entered a status before actors were recorded: not known. */
const UNRECORDED = systemActor('unrecorded');

type Added = 'offers' | 'endedOffers' | 'missedOffers' | 'lastUpcoming' | 'pendingOffline' | 'staleCheckAt';

type Stored = Omit<UserState, Added | 'status' | 'upcoming' | 'wrapUp'> &
  Partial<Pick<UserState, Added>> & {
    status: Partial<UserState['status']> & Pick<UserState['status'], 'id' | 'since' | 'cause'>;
    upcoming:
      (Omit<NonNullable<UserState['upcoming']>, 'actor'> & { actor?: UserState['status']['actor'] }) | null;
    wrapUp: { activityId: string; since?: string; until: string } | null;
  };

export function upgradeState(stored: Stored | UserState): UserState {
  const s = stored as Stored;
  if (isCurrent(s)) return stored as UserState;
  const { wrapUp } = s;
  return {
    ...s,
    status: { actor: UNRECORDED, requestedBy: null, reason: null, ...s.status },
    upcoming: s.upcoming ? { actor: UNRECORDED, ...s.upcoming } : null,
    offers: s.offers ?? [],
    endedOffers: s.endedOffers ?? [],
    missedOffers: s.missedOffers ?? { consecutive: 0, recent: [] },
    wrapUp: wrapUp ? { ...wrapUp, since: wrapUp.since ?? wrapUpStart(s, wrapUp) } : null,
    lastUpcoming: s.lastUpcoming ?? null,
    pendingOffline: s.pendingOffline ?? null,
    // Activities open at the upgrade are checked by the next command (decide's pre-step), or by the next begin.
    staleCheckAt: s.staleCheckAt ?? null,
  };
}

function isCurrent(s: Stored): boolean {
  return (
    s.offers !== undefined &&
    s.endedOffers !== undefined &&
    s.missedOffers !== undefined &&
    s.lastUpcoming !== undefined &&
    s.pendingOffline !== undefined &&
    s.staleCheckAt !== undefined &&
    s.status.actor !== undefined &&
    (s.upcoming === null || s.upcoming.actor !== undefined) &&
    (s.wrapUp === null || s.wrapUp.since !== undefined)
  );
}

/** A wrap-up started when its call ended, which the activity tombstones still know; else its end is all we have. */
function wrapUpStart(stored: Stored, wrapUp: { activityId: string; until: string }): string {
  return stored.endedActivities.find((t) => t.id === wrapUp.activityId)?.endedAt ?? wrapUp.until;
}
