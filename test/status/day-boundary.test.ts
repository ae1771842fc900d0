import { describe, expect, it } from 'vitest';
import { isTimeZone, nextDayBoundary } from '../../src/status/index.js';

describe('nextDayBoundary', () => {
  it('is later the same day when the boundary is still ahead, else the next day (UTC)', () => {
    expect(nextDayBoundary('2024-05-01T02:00:00.000Z', '04:00', 'UTC')).toBe('2024-05-01T04:00:00.000Z');
    expect(nextDayBoundary('2024-05-01T08:00:00.000Z', '04:00', 'UTC')).toBe('2024-05-02T04:00:00.000Z');
    // exactly at the boundary: the next one
    expect(nextDayBoundary('2024-05-01T04:00:00.000Z', '04:00', 'UTC')).toBe('2024-05-02T04:00:00.000Z');
  });

  it('follows the local clock of the zone, across month ends', () => {
    // 04:00 in Berlin in summer (CEST, UTC+2) is 02:00 UTC.
    expect(nextDayBoundary('2024-05-31T08:00:00.000Z', '04:00', 'Europe/Berlin')).toBe(
      '2024-06-01T02:00:00.000Z',
    );
    // New York in winter (EST, UTC-5): 04:00 local is 09:00 UTC; at 07:00 UTC it is 02:00 local, still ahead.
    expect(nextDayBoundary('2024-01-10T07:00:00.000Z', '04:00', 'America/New_York')).toBe(
      '2024-01-10T09:00:00.000Z',
    );
  });

  it('gives a day of 23 or 25 hours across daylight-saving changes', () => {
    // Europe/Berlin: 2024-03-31 02:00 CET → 03:00 CEST; 2024-10-27 03:00 CEST → 02:00 CET.
    expect(nextDayBoundary('2024-03-30T03:00:00.000Z', '04:00', 'Europe/Berlin')).toBe(
      '2024-03-31T02:00:00.000Z',
    );
    expect(nextDayBoundary('2024-10-26T02:00:00.000Z', '04:00', 'Europe/Berlin')).toBe(
      '2024-10-27T03:00:00.000Z',
    );
  });

  it('resolves a wall time skipped by the spring-forward gap to an instant after the gap', () => {
    const at = nextDayBoundary('2024-03-30T12:00:00.000Z', '02:30', 'Europe/Berlin');
    expect(at).toBe('2024-03-31T01:30:00.000Z'); // 03:30 CEST
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
