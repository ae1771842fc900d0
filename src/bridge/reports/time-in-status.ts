/**
 * Time in status for one user over a report window: pure arithmetic on history spans and work intervals, with
 * the definitions contact centers use (README "Reports"):
 *
 * - A span counts for the part of it inside [from, to); the open span (`to: null`) runs until `now`, so clipping
 *   makes it count up to min(now, to). A span crossing midnight thus splits between two daily reports.
 * - `entries` counts spans that START inside the window (an agent who went on break once, before the window,
 *   did not enter it again within it).
 * - Overage is the tail of a span: its last `overageSeconds`, clipped like the span; `overageCount` counts the
 *   spans with overage inside the window.
 * - Logged-in time: time in any status other than Offline.
 * - Handle time: time covered by at least one answered activity (call, task, chat, interaction) or wrap-up,
 *   while logged in. Overlaps count once (two calls at once, a call during another's wrap-up). Activities ended
 *   as stale (their end was lost) are left out: how long they really ran is not known. Ringing is not an
 *   activity and never counts.
 * - Available time: time in statuses that take queue calls (callHandling.queueLogin); available idle time is the
 *   part of it not in handle time.
 * - Occupancy = handle ÷ (handle + available idle); utilization = handle ÷ logged-in. Both 0..1, null when the
 *   divisor is 0.
 * - Break time: logged-in time in statuses that are not productive.
 *
 * Status traits (name, productive, takes queue calls) are the catalog's as it is now; a deleted type counts as
 * productive and not taking queue calls.
 */
import { OFFLINE, type HistorySpan } from '../../status/index.js';
import { clip, intersect, lengthOf, overlapLength, union, type Interval } from './intervals.js';

/** An activity or wrap-up: ended (`to` set) or still open (`to: null`, running until now). */
export interface ActivityInterval {
  from: string;
  to: string | null;
  /** call, task, chat, interaction, or wrap-up. */
  kind?: string;
  /** "stale": ended because it was open too long; not handle time. */
  cause?: string;
}

export interface UserHistory {
  userId: string;
  displayName: string;
  /** Closed spans and the open one, in any order. */
  spans: readonly HistorySpan[];
  /** Activities and wrap-ups. */
  activities: readonly ActivityInterval[];
}

/** What a report needs to know of each status type. */
export interface StatusTraits {
  name(statusId: string): string | undefined;
  productive(statusId: string): boolean;
  takesQueueCalls(statusId: string): boolean;
}

export interface StatusTotals {
  statusId: string;
  name: string;
  seconds: number;
  entries: number;
  overageSeconds: number;
  overageCount: number;
}

export interface UserTimeInStatus {
  userId: string;
  displayName: string;
  loggedInSeconds: number;
  handleSeconds: number;
  availableSeconds: number;
  availableIdleSeconds: number;
  breakSeconds: number;
  occupancy: number | null;
  utilization: number | null;
  overageCount: number;
  overageSeconds: number;
  statuses: StatusTotals[];
}

interface Accumulator {
  ms: number;
  entries: number;
  overageMs: number;
  overageCount: number;
  name: string;
  nameFrom: number;
}

const NO_TRAITS: StatusTraits = {
  name: () => undefined,
  productive: () => true,
  takesQueueCalls: () => false,
};

/** Traits from a catalog-like list; a type not in it is productive and takes no queue calls. */
export function traitsOf(
  types: Iterable<{ id: string; name: string; productive: boolean; callHandling: { queueLogin: boolean } }>,
): StatusTraits {
  const byId = new Map([...types].map((t) => [t.id, t]));
  return {
    name: (id) => byId.get(id)?.name,
    productive: (id) => byId.get(id)?.productive ?? true,
    takesQueueCalls: (id) => byId.get(id)?.callHandling.queueLogin ?? false,
  };
}

/** `window` and `now` in epoch ms. */
export function timeInStatus(
  user: UserHistory,
  window: Interval,
  now: number,
  traits: StatusTraits = NO_TRAITS,
): UserTimeInStatus {
  const totals = new Map<string, Accumulator>();
  const loggedIn: Interval[] = [];
  const available: Interval[] = [];
  let breakMs = 0;
  for (const span of user.spans) {
    const whole = spanInterval(span, now);
    const inside = clip(whole, window);
    addSpan(totals, span, whole, inside, window);
    if (!inside || span.statusId === OFFLINE) continue;
    loggedIn.push(inside);
    if (traits.takesQueueCalls(span.statusId)) available.push(inside);
    if (!traits.productive(span.statusId)) breakMs += lengthOf(inside);
  }
  const loggedInUnion = union(loggedIn);
  const loggedInMs = totalLength(loggedInUnion);
  const handle = handleIntervals(user.activities, loggedInUnion, window, now);
  const handleMs = totalLength(handle);
  const availableUnion = union(available);
  const availableMs = totalLength(availableUnion);
  const availableIdleMs = availableMs - overlapLength(availableUnion, handle);
  const statuses = [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, acc]) => row(id, acc, traits));
  return {
    userId: user.userId,
    displayName: user.displayName,
    loggedInSeconds: loggedInMs / 1000,
    handleSeconds: handleMs / 1000,
    availableSeconds: availableMs / 1000,
    availableIdleSeconds: availableIdleMs / 1000,
    breakSeconds: breakMs / 1000,
    occupancy: ratio(handleMs, handleMs + availableIdleMs),
    utilization: ratio(handleMs, loggedInMs),
    overageCount: statuses.reduce((n, s) => n + s.overageCount, 0),
    overageSeconds: statuses.reduce((ms, s) => ms + s.overageSeconds * 1000, 0) / 1000,
    statuses,
  };
}

function spanInterval(span: HistorySpan, now: number): Interval {
  const start = Date.parse(span.from);
  return { start, end: span.to === null ? Math.max(start, now) : Date.parse(span.to) };
}

function addSpan(
  totals: Map<string, Accumulator>,
  span: HistorySpan,
  whole: Interval,
  inside: Interval | null,
  window: Interval,
): void {
  const entered = whole.start >= window.start && whole.start < window.end;
  if (!inside && !entered) return;
  const acc = totals.get(span.statusId) ?? {
    ms: 0,
    entries: 0,
    overageMs: 0,
    overageCount: 0,
    name: span.name,
    nameFrom: -1,
  };
  const overageMs = overageInside(span, whole, window);
  acc.ms += inside ? lengthOf(inside) : 0;
  acc.entries += entered ? 1 : 0;
  acc.overageMs += overageMs;
  acc.overageCount += overageMs > 0 ? 1 : 0;
  // The newest span's name is the one to show when the type has been deleted since.
  if (whole.start > acc.nameFrom) Object.assign(acc, { name: span.name, nameFrom: whole.start });
  totals.set(span.statusId, acc);
}

function overageInside(span: HistorySpan, whole: Interval, window: Interval): number {
  const overageMs = Math.round(span.overageSeconds * 1000);
  if (overageMs <= 0) return 0;
  const tail = { start: Math.max(whole.start, whole.end - overageMs), end: whole.end };
  const inside = clip(tail, window);
  return inside ? lengthOf(inside) : 0;
}

/** Answered work (activities that did not go stale, and wrap-ups) inside the window and while logged in. */
function handleIntervals(
  activities: readonly ActivityInterval[],
  loggedIn: readonly Interval[],
  window: Interval,
  now: number,
): Interval[] {
  const work = activities.flatMap((a) => {
    if (a.cause === 'stale') return [];
    const start = Date.parse(a.from);
    const inside = clip({ start, end: a.to === null ? Math.max(start, now) : Date.parse(a.to) }, window);
    return inside ? [inside] : [];
  });
  return intersect(union(work), loggedIn);
}

function totalLength(intervals: readonly Interval[]): number {
  return intervals.reduce((sum, i) => sum + lengthOf(i), 0);
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

function row(statusId: string, acc: Accumulator, traits: StatusTraits): StatusTotals {
  return {
    statusId,
    name: traits.name(statusId) ?? acc.name,
    seconds: acc.ms / 1000,
    entries: acc.entries,
    overageSeconds: acc.overageMs / 1000,
    overageCount: acc.overageCount,
  };
}
