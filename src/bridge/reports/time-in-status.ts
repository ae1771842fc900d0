/**
 * Time in status for one user over a report window: pure arithmetic on history spans and activity intervals.
 *
 * - A span counts for the part of it inside [from, to); the open span (`to: null`) runs until `now`, so clipping
 *   makes it count up to min(now, to). A span crossing midnight thus splits between two daily reports.
 * - `entries` counts spans that START inside the window (an agent who went on break once, before the window,
 *   did not enter it again within it).
 * - Overage is the tail of a span: its last `overageSeconds`, clipped like the span.
 * - Logged-in time is time in any status other than Offline. Occupancy is the time covered by at least one
 *   activity while logged in, divided by logged-in time: overlapping activities (two calls at once) count once,
 *   and activities while Offline do not count, so occupancy stays within 0..1. Null when never logged in.
 */
import { OFFLINE, type HistorySpan } from '../../status/index.js';
import { clip, lengthOf, overlapLength, union, type Interval } from './intervals.js';

/** An activity: ended (`to` set) or still open (`to: null`, running until now). */
export interface ActivityInterval {
  from: string;
  to: string | null;
}

export interface UserHistory {
  userId: string;
  displayName: string;
  /** Closed spans and the open one, in any order. */
  spans: readonly HistorySpan[];
  activities: readonly ActivityInterval[];
}

export interface StatusTotals {
  statusId: string;
  name: string;
  seconds: number;
  entries: number;
  overageSeconds: number;
}

export interface UserTimeInStatus {
  userId: string;
  displayName: string;
  loggedInSeconds: number;
  occupancy: number | null;
  statuses: StatusTotals[];
}

interface Accumulator {
  ms: number;
  entries: number;
  overageMs: number;
  name: string;
  nameFrom: number;
}

/** `window` and `now` in epoch ms; `names`: current status-type names, preferred over names kept in spans. */
export function timeInStatus(
  user: UserHistory,
  window: Interval,
  now: number,
  names: ReadonlyMap<string, string> = new Map(),
): UserTimeInStatus {
  const totals = new Map<string, Accumulator>();
  const loggedIn: Interval[] = [];
  for (const span of user.spans) {
    const whole = spanInterval(span, now);
    const inside = clip(whole, window);
    addSpan(totals, span, whole, inside, window);
    if (inside && span.statusId !== OFFLINE) loggedIn.push(inside);
  }
  const loggedInMs = loggedIn.reduce((sum, i) => sum + lengthOf(i), 0);
  return {
    userId: user.userId,
    displayName: user.displayName,
    loggedInSeconds: loggedInMs / 1000,
    occupancy: occupancy(user.activities, union(loggedIn), loggedInMs, window, now),
    statuses: [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, acc]) => row(id, acc, names)),
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
  const acc = totals.get(span.statusId) ?? { ms: 0, entries: 0, overageMs: 0, name: span.name, nameFrom: -1 };
  acc.ms += inside ? lengthOf(inside) : 0;
  acc.entries += entered ? 1 : 0;
  acc.overageMs += overageInside(span, whole, window);
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

function occupancy(
  activities: readonly ActivityInterval[],
  loggedIn: readonly Interval[],
  loggedInMs: number,
  window: Interval,
  now: number,
): number | null {
  if (loggedInMs === 0) return null;
  const busy = activities.flatMap((a) => {
    const start = Date.parse(a.from);
    const inside = clip({ start, end: a.to === null ? Math.max(start, now) : Date.parse(a.to) }, window);
    return inside ? [inside] : [];
  });
  return Math.round((overlapLength(union(busy), loggedIn) / loggedInMs) * 10_000) / 10_000;
}

function row(statusId: string, acc: Accumulator, names: ReadonlyMap<string, string>): StatusTotals {
  return {
    statusId,
    name: names.get(statusId) ?? acc.name,
    seconds: acc.ms / 1000,
    entries: acc.entries,
    overageSeconds: acc.overageMs / 1000,
  };
}
