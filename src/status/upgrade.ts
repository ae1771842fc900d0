/**
 * States stored by an older version lack fields added since; the store upgrades each state it loads, so the
 * rest of the code sees only the current shape. Pure; a current state comes back unchanged (the same object).
 */
import { systemActor } from './actor.js';
import type { UserState } from './model.js';

/** Who entered a status before actors were recorded: not known. */
const UNRECORDED = systemActor('unrecorded');

type Stored = Omit<
  UserState,
  'status' | 'upcoming' | 'wrapUp' | 'lastUpcoming' | 'pendingOffline' | 'staleCheckAt'
> & {
  status: Partial<UserState['status']> & Pick<UserState['status'], 'id' | 'since' | 'cause'>;
  upcoming:
    (Omit<NonNullable<UserState['upcoming']>, 'actor'> & { actor?: UserState['status']['actor'] }) | null;
  wrapUp: (Omit<NonNullable<UserState['wrapUp']>, 'since'> & { since?: string }) | null;
  lastUpcoming?: UserState['lastUpcoming'];
  pendingOffline?: UserState['pendingOffline'];
  staleCheckAt?: UserState['staleCheckAt'];
};

export function upgradeState(stored: UserState): UserState {
  const s = stored as unknown as Stored;
  const current =
    s.status.actor !== undefined &&
    s.lastUpcoming !== undefined &&
    s.pendingOffline !== undefined &&
    s.staleCheckAt !== undefined &&
    (s.upcoming === null || s.upcoming.actor !== undefined) &&
    (s.wrapUp === null || s.wrapUp.since !== undefined);
  if (current) return stored;
  return {
    ...stored,
    status: { actor: UNRECORDED, requestedBy: null, reason: null, ...s.status },
    upcoming: s.upcoming ? { actor: UNRECORDED, ...s.upcoming } : null,
    // The start of an old wrap-up is not known: it counts from its end (zero length) rather than made up.
    wrapUp: s.wrapUp ? { since: s.wrapUp.until, ...s.wrapUp } : null,
    lastUpcoming: s.lastUpcoming ?? null,
    pendingOffline: s.pendingOffline ?? null,
    // Activities open at the upgrade are checked by the next command (decide's pre-step), or by the next begin.
    staleCheckAt: s.staleCheckAt ?? null,
  };
}
