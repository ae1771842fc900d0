/**
 * Wall-clock arithmetic in an IANA time zone with Intl.DateTimeFormat only (no dependency): the next time after
 * an instant at which the local clock shows "HH:MM". Daylight saving is handled by asking the zone's offset at
 * the candidate instant; a local time skipped by a spring-forward gap resolves to the instant as far past the
 * gap (02:30 in a 02:00→03:00 gap is 03:30), and one repeated by a fall-back to its later occurrence.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the zone (config validation). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Local {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(ms: number, timeZone: string): Local {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return parts as unknown as Local;
}

/** Local wall time minus UTC at `ms`, in ms (e.g. +3_600_000 for CET). */
function offsetAt(ms: number, timeZone: string): number {
  const l = localParts(ms, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant the local clock shows the given wall time (the later one after a gap). */
function fromLocal(year: number, month: number, day: number, hour: number, minute: number, tz: string) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetAt(wall, tz);
  const second = wall - offsetAt(first, tz);
  // The guesses disagree only around a change of offset; the later one is past a gap, or the later occurrence.
  return Math.max(first, second);
}

/** The first instant strictly after `afterIso` at which the local time in `timeZone` is `hhmm` ("04:00"). */
export function nextDayBoundary(afterIso: string, hhmm: string, timeZone: string): string {
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  const after = Date.parse(afterIso);
  const today = localParts(after, timeZone);
  for (let days = 0; days < 3; days++) {
    // Date.UTC normalises day overflow (31 + 1 → the 1st of the next month).
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
    const at = fromLocal(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      hour,
      minute,
      timeZone,
    );
    if (at > after) return new Date(at).toISOString();
  }
  // Unreachable for real zones (the boundary recurs daily); a day later is the safe answer.
  return new Date(after + 86_400_000).toISOString();
}
