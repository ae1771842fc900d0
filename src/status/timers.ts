/**
 * Timer keys. One key per kind and user, so scheduling again replaces the pending timer instead of
 * adding one; a timer that fires late or after the state moved on is recognised as stale by decide().
 */

export const TIMER_KINDS = ['overage', 'wrapup', 'conn', 'shift', 'offline', 'stale'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

/** e.g. "overage:u-1001" */
export function timerKey(kind: TimerKind, userId: string): string {
  return `${kind}:${userId}`;
}
