/** The shift, time-zone and stale-activity settings (issue #12): defaults on, bad values named by field. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/bridge/config/load.js';
import { problemsFor } from './problems.js';

describe('status.shift, status.timezone, status.maxActivityHours', () => {
  it('are on by default: an hour Offline, 14 hours, stale after 12 hours; no cut-off; UTC', () => {
    const { status } = validateConfig({}, 'test.yaml');
    expect(status).toMatchObject({
      shift: { endAfterOfflineMinutes: 60, maxHours: 14, dayBoundary: null },
      timezone: 'UTC',
      maxActivityHours: 12,
    });
  });

  it('accept a cut-off in a zone, and null to turn a rule off', () => {
    const { status } = validateConfig(
      {
        status: {
          shift: { dayBoundary: '04:00', maxHours: null, endAfterOfflineMinutes: null },
          timezone: 'Europe/Berlin',
          maxActivityHours: null,
        },
      },
      'test.yaml',
    );
    expect(status.shift).toEqual({ dayBoundary: '04:00', maxHours: null, endAfterOfflineMinutes: null });
    expect(status.maxActivityHours).toBeNull();
  });

  it('refuse a malformed cut-off, an unknown zone and out-of-range numbers, naming each field', () => {
    const problems = problemsFor({
      status: {
        shift: { dayBoundary: '4am', maxHours: 0, endAfterOfflineMinutes: -5 },
        timezone: 'Mars/Olympus',
        maxActivityHours: 1000,
      },
    });
    const paths = problems.map((p) => p.path).sort();
    expect(paths).toEqual([
      'status.maxActivityHours',
      'status.shift.dayBoundary',
      'status.shift.endAfterOfflineMinutes',
      'status.shift.maxHours',
      'status.timezone',
    ]);
    expect(problems.find((p) => p.path === 'status.timezone')?.message).toMatch(/IANA time zone/);
    expect(problems.find((p) => p.path === 'status.shift.dayBoundary')?.message).toMatch(/HH:MM/);
  });
});
