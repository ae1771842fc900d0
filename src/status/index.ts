/** The status domain's public surface: model, status types, decide() and its errors. Wiring only. */
export * from './model.js';
export * from './status-type.js';
export {
  decide,
  newUserState,
  isEngaged,
  openSpan,
  type DecideContext,
  type DecideResult,
} from './decide.js';
export {
  DomainError,
  DOMAIN_ERRORS,
  DOMAIN_ERROR_CODES,
  isDomainError,
  type DomainErrorCode,
} from './errors.js';
export { isInWrapUp } from './engagement.js';
export { TIMER_KINDS, timerKey, type TimerKind } from './timers.js';
export { TOMBSTONE_LIMIT, TOMBSTONE_TTL_SECONDS } from './activities.js';
export { shiftId } from './shifts.js';
export { upgradeState } from './upgrade.js';
export { OFFER_LIMIT, MISSED_RECENT_LIMIT } from './offers.js';
export type { UpcomingReason } from './upcoming.js';
export {
  actorOf,
  canForce,
  pbxActor,
  selectionCause,
  systemActor,
  type Actor,
  type ActorRole,
} from './actor.js';
export { nextDayBoundary, isTimeZone } from './day-boundary.js';
export { autoEndDue, type AutoEndTrigger } from './shift-auto-end.js';
