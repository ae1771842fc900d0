/**
 * Engaged = busy with work that a status change must not interrupt: an open activity, or after-call
 * wrap-up that has not run out. A wrap-up whose time has passed counts as over even before its timer
 * fires, so a late timer never blocks a direct selection.
 */
import type { UserState } from './model.js';
import { isAfter } from './time.js';

export function isEngaged(state: UserState, now: string): boolean {
  return state.activities.length > 0 || isInWrapUp(state, now);
}

export function isInWrapUp(state: UserState, now: string): boolean {
  return state.wrapUp !== null && isAfter(state.wrapUp.until, now);
}
