/**
 * The time-in-status report as CSV (RFC 4180): a header row, then one row per user and status, CRLF line ends,
 * fields quoted when they hold a comma, a quote or a line break. User totals repeat on each of the user's rows so
 * every row stands alone in a spreadsheet filter (the user's overage totals are `userOverage*`, beside the status
 * row's own); a user with no status time in the window has no row.
 *
 * Text cells are neutralised against formula injection as OWASP recommends: a display name, status name or id
 * starting with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in a spreadsheet
 * (`=HYPERLINK(...)`), so it is prefixed with `'` and quoted. Numbers are written as they are.
 */
import type { TimeInStatusReport } from './time-in-status-report.js';

const HEADER = [
  'userId',
  'displayName',
  'statusId',
  'statusName',
  'seconds',
  'entries',
  'overageSeconds',
  'overageCount',
  'loggedInSeconds',
  'handleSeconds',
  'availableSeconds',
  'availableIdleSeconds',
  'breakSeconds',
  'occupancy',
  'utilization',
  'userOverageCount',
  'userOverageSeconds',
  'missedOffers',
];

/** What a spreadsheet takes for the start of a formula (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function reportCsv(report: TimeInStatusReport): string {
  const rows = report.users.flatMap((user) =>
    user.statuses.map((s) => [
      user.userId,
      user.displayName,
      s.statusId,
      s.name,
      s.seconds,
      s.entries,
      s.overageSeconds,
      s.overageCount,
      user.loggedInSeconds,
      user.handleSeconds,
      user.availableSeconds,
      user.availableIdleSeconds,
      user.breakSeconds,
      user.occupancy,
      user.utilization,
      user.overageCount,
      user.overageSeconds,
      user.missedOffers,
    ]),
  );
  return [HEADER, ...rows].map((fields) => fields.map(csvField).join(',') + '\r\n').join('');
}

/** "2024-03-01T00:00:00.000Z" → "20240301T000000Z": safe in a file name on every system. */
export function csvFileName(report: Pick<TimeInStatusReport, 'from' | 'to'>): string {
  const compact = (iso: string) => iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return `time-in-status_${compact(report.from)}_${compact(report.to)}.csv`;
}
