/**
 * Time arithmetic on ISO-8601 strings. Comparisons go through Date.parse because callers may pass times
 * with or without milliseconds, which do not compare correctly as strings.
 */

export function isValidTime(iso: string): boolean {
  return !Number.isNaN(Date.parse(iso));
}

export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

/** Exact to the millisecond, so spans that tile time also sum exactly. */
export function secondsBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 1000;
}

export function isAfter(a: string, b: string): boolean {
  return Date.parse(a) > Date.parse(b);
}

export function later(a: string, b: string): string {
  return isAfter(b, a) ? b : a;
}
