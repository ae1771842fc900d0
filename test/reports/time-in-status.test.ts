/** The pure time-in-status computation and its CSV rendering. */
import { describe, expect, it } from 'vitest';
import { csvField, csvFileName, reportCsv } from '../../src/bridge/reports/report-csv.js';
import { timeInStatus, traitsOf, type UserHistory } from '../../src/bridge/reports/time-in-status.js';
import { builtInStatusTypes, type HistorySpan } from '../../src/status/index.js';

const t = (iso: string): number => Date.parse(iso);
const DAY1 = { start: t('2024-03-01T00:00:00Z'), end: t('2024-03-02T00:00:00Z') };
const DAY2 = { start: t('2024-03-02T00:00:00Z'), end: t('2024-03-03T00:00:00Z') };
const LATER = t('2024-03-05T00:00:00Z');

function span(statusId: string, from: string, to: string | null, overageSeconds = 0): HistorySpan {
  return {
    statusId,
    name: statusId.toUpperCase(),
    from,
    to,
    seconds: 0,
    overageSeconds,
    cause: 'user',
    actor: { role: 'agent', name: 'dana' },
    requestedBy: null,
    reason: null,
  };
}

function user(spans: HistorySpan[], activities: UserHistory['activities'] = []): UserHistory {
  return { userId: 'u1', displayName: 'Dana', spans, activities };
}

/** Built-ins: Active takes queue calls; Idle does not; On Break is not productive. */
const BUILT_INS = traitsOf(builtInStatusTypes('2024-01-01T00:00:00Z'));

const status = (report: ReturnType<typeof timeInStatus>, id: string) =>
  report.statuses.find((s) => s.statusId === id);

describe('time in status', () => {
  it('splits a span crossing midnight between the two days', () => {
    const history = user([span('on-break', '2024-03-01T23:30:00Z', '2024-03-02T00:15:00Z')]);
    expect(status(timeInStatus(history, DAY1, LATER), 'on-break')).toMatchObject({
      seconds: 1800,
      entries: 1,
    });
    expect(status(timeInStatus(history, DAY2, LATER), 'on-break')).toMatchObject({
      seconds: 900,
      entries: 0,
    });
  });

  it('counts the open span up to now, and no further than the window end', () => {
    const history = user([span('active', '2024-03-02T10:00:00Z', null)]);
    expect(status(timeInStatus(history, DAY2, t('2024-03-02T12:00:00Z')), 'active')?.seconds).toBe(7200);
    expect(status(timeInStatus(history, DAY2, LATER), 'active')?.seconds).toBe(14 * 3600);
    expect(timeInStatus(history, DAY1, LATER).statuses).toEqual([]);
  });

  it('takes overage as the tail of the span and clips it to the window', () => {
    // 40 minutes on break with 15 allowed: overage 00:05 → 00:30, wholly in day 2.
    const late = user([span('on-break', '2024-03-01T23:50:00Z', '2024-03-02T00:30:00Z', 1500)]);
    expect(status(timeInStatus(late, DAY1, LATER), 'on-break')?.overageSeconds).toBe(0);
    expect(status(timeInStatus(late, DAY2, LATER), 'on-break')?.overageSeconds).toBe(1500);
    // Overage 23:45 → 00:10 straddles midnight.
    const across = user([span('on-break', '2024-03-01T23:30:00Z', '2024-03-02T00:10:00Z', 1500)]);
    expect(status(timeInStatus(across, DAY1, LATER), 'on-break')?.overageSeconds).toBe(900);
    expect(status(timeInStatus(across, DAY2, LATER), 'on-break')?.overageSeconds).toBe(600);
  });

  it("clips the open span's overage at now and at the window end", () => {
    // Open since 23:00 on day 1, overage since 23:15 (as openSpan reports it at now = 00:20).
    const open = user([span('on-break', '2024-03-01T23:00:00Z', null, 65 * 60)]);
    const now = t('2024-03-02T00:20:00Z');
    expect(status(timeInStatus(open, DAY1, now), 'on-break')?.overageSeconds).toBe(45 * 60);
    expect(status(timeInStatus(open, DAY2, now), 'on-break')?.overageSeconds).toBe(20 * 60);
  });

  it('counts as entries only the spans that start inside the window', () => {
    const history = user([
      span('idle', '2024-03-01T22:00:00Z', '2024-03-02T01:00:00Z'),
      span('active', '2024-03-02T01:00:00Z', '2024-03-02T02:00:00Z'),
      span('idle', '2024-03-02T02:00:00Z', '2024-03-02T02:00:00Z'),
      span('active', '2024-03-02T02:00:00Z', '2024-03-03T00:00:00Z'),
      span('offline', '2024-03-03T00:00:00Z', null),
    ]);
    const report = timeInStatus(history, DAY2, LATER);
    expect(status(report, 'idle')).toMatchObject({ seconds: 3600, entries: 1 });
    expect(status(report, 'active')).toMatchObject({ seconds: 23 * 3600, entries: 2 });
    expect(status(report, 'offline')).toBeUndefined();
  });

  it('logged-in time excludes Offline; handle time counts activity time while logged in, overlaps once', () => {
    const history = user(
      [
        span('active', '2024-03-02T09:00:00Z', '2024-03-02T10:00:00Z'),
        span('offline', '2024-03-02T10:00:00Z', '2024-03-02T11:00:00Z'),
        span('idle', '2024-03-02T11:00:00Z', null),
      ],
      [
        { from: '2024-03-02T09:00:00Z', to: '2024-03-02T09:30:00Z' },
        { from: '2024-03-02T09:15:00Z', to: '2024-03-02T09:45:00Z' }, // overlaps the first: 45 min together
        { from: '2024-03-02T10:10:00Z', to: '2024-03-02T10:20:00Z' }, // while offline: not counted
        { from: '2024-03-02T11:45:00Z', to: null }, // still open at now (12:00): 15 min
      ],
    );
    const report = timeInStatus(history, DAY2, t('2024-03-02T12:00:00Z'), BUILT_INS);
    expect(report.loggedInSeconds).toBe(2 * 3600);
    expect(report.handleSeconds).toBe(3600);
    expect(report.utilization).toBe(0.5);
    // Available (Active takes queue calls) 09:00–10:00, of which 45 min handle: 15 min available idle.
    expect(report).toMatchObject({ availableSeconds: 3600, availableIdleSeconds: 900 });
    expect(report.occupancy).toBe(0.8); // 3600 / (3600 + 900)
  });

  it('occupancy is null when the user was never logged in', () => {
    const history = user(
      [span('offline', '2024-03-01T00:00:00Z', null)],
      [{ from: '2024-03-02T01:00:00Z', to: '2024-03-02T02:00:00Z' }],
    );
    const report = timeInStatus(history, DAY2, LATER);
    expect(report).toMatchObject({
      loggedInSeconds: 0,
      occupancy: null,
      utilization: null,
      handleSeconds: 0,
    });
  });

  it("names a status by the catalog, else by its newest span's name", () => {
    const history = user([
      { ...span('gone', '2024-03-02T01:00:00Z', '2024-03-02T02:00:00Z'), name: 'Old name' },
      { ...span('gone', '2024-03-02T03:00:00Z', '2024-03-02T04:00:00Z'), name: 'New name' },
      span('active', '2024-03-02T02:00:00Z', '2024-03-02T03:00:00Z'),
    ]);
    const report = timeInStatus(history, DAY2, LATER, BUILT_INS);
    expect(report.statuses.map((s) => [s.statusId, s.name])).toEqual([
      ['active', 'Active'],
      ['gone', 'New name'],
    ]);
  });
});

describe('contact-center figures', () => {
  const NOW = t('2024-03-02T18:00:00Z');

  it('adds wrap-up to handle time, leaves stale activities out, and counts break time', () => {
    const history = user(
      [
        span('active', '2024-03-02T09:00:00Z', '2024-03-02T10:00:00Z'),
        span('on-break', '2024-03-02T10:00:00Z', '2024-03-02T10:20:00Z', 300),
        span('active', '2024-03-02T10:20:00Z', '2024-03-02T11:00:00Z'),
        span('offline', '2024-03-02T11:00:00Z', null),
      ],
      [
        { from: '2024-03-02T09:10:00Z', to: '2024-03-02T09:20:00Z', kind: 'call' },
        { from: '2024-03-02T09:20:00Z', to: '2024-03-02T09:22:00Z', kind: 'wrap-up' },
        { from: '2024-03-02T09:21:00Z', to: '2024-03-02T09:30:00Z', kind: 'call' }, // during wrap-up
        { from: '2024-03-02T10:30:00Z', to: '2024-03-02T10:40:00Z', kind: 'call', cause: 'stale' },
      ],
    );
    const report = timeInStatus(history, DAY2, NOW, BUILT_INS);
    expect(report.handleSeconds).toBe(20 * 60); // 09:10–09:30
    expect(report.loggedInSeconds).toBe(2 * 3600);
    expect(report.breakSeconds).toBe(20 * 60);
    expect(report.availableSeconds).toBe(100 * 60);
    expect(report.availableIdleSeconds).toBe(80 * 60);
    expect(report.occupancy).toBe(0.2); // 20 / (20 + 80)
    expect(report.utilization).toBe(0.1667); // 20 / 120
    expect(report).toMatchObject({ overageCount: 1, overageSeconds: 300 });
    expect(status(report, 'on-break')).toMatchObject({ overageCount: 1, overageSeconds: 300 });
  });

  it('counts the overage of each stay inside the window', () => {
    const history = user([
      span('on-break', '2024-03-02T10:00:00Z', '2024-03-02T10:20:00Z', 300),
      span('active', '2024-03-02T10:20:00Z', '2024-03-02T10:30:00Z'),
      span('on-break', '2024-03-02T10:30:00Z', '2024-03-02T10:47:00Z', 120),
      span('active', '2024-03-02T10:47:00Z', null),
    ]);
    const report = timeInStatus(history, DAY2, NOW, BUILT_INS);
    expect(status(report, 'on-break')).toMatchObject({ entries: 2, overageCount: 2, overageSeconds: 420 });
    expect(report).toMatchObject({ overageCount: 2, overageSeconds: 420 });
  });
});

describe('CSV', () => {
  it('quotes fields with commas, quotes or line breaks (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('Doe, Jo')).toBe('"Doe, Jo"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(1.5)).toBe('1.5');
  });

  it.each([
    ['=HYPERLINK("http://evil.example","x")', '"\'=HYPERLINK(""http://evil.example"",""x"")"'],
    ['+1+1', '"\'+1+1"'],
    ['-2+3', '"\'-2+3"'],
    ['@SUM(A1:A9)', '"\'@SUM(A1:A9)"'],
    ['\tx', '"\'\tx"'],
    ['\rx', '"\'\rx"'],
    ['=1,2', '"\'=1,2"'],
  ])('neutralises a text cell starting like a formula (OWASP): %j', (text, cell) => {
    expect(csvField(text)).toBe(cell);
  });

  it('leaves numbers and other text as they are', () => {
    expect(csvField(-1)).toBe('-1');
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField("it's")).toBe("it's");
  });

  it('has a header and one CRLF-terminated row per user and status', () => {
    const csv = reportCsv({
      from: '2024-03-02T00:00:00.000Z',
      to: '2024-03-03T00:00:00.000Z',
      generatedAt: '2024-03-03T00:00:00.000Z',
      users: [
        {
          userId: 'u1',
          displayName: 'Doe, "JD"',
          loggedInSeconds: 60,
          handleSeconds: 30,
          availableSeconds: 60,
          availableIdleSeconds: 30,
          breakSeconds: 0,
          occupancy: 0.5,
          utilization: 0.5,
          overageCount: 0,
          overageSeconds: 0,
          missedOffers: 2,
          statuses: [
            {
              statusId: 'active',
              name: 'Active',
              seconds: 60,
              entries: 1,
              overageSeconds: 0,
              overageCount: 0,
            },
            {
              statusId: 'offline',
              name: 'Offline',
              seconds: 30,
              entries: 1,
              overageSeconds: 0,
              overageCount: 0,
            },
          ],
        },
      ],
    });
    expect(csv.split('\r\n')).toEqual([
      'userId,displayName,statusId,statusName,seconds,entries,overageSeconds,overageCount,loggedInSeconds,handleSeconds,availableSeconds,availableIdleSeconds,breakSeconds,occupancy,utilization,userOverageCount,userOverageSeconds,missedOffers',
      'u1,"Doe, ""JD""",active,Active,60,1,0,0,60,30,60,30,0,0.5,0.5,0,0,2',
      'u1,"Doe, ""JD""",offline,Offline,30,1,0,0,60,30,60,30,0,0.5,0.5,0,0,2',
      '',
    ]);
  });

  it('names the file after the window', () => {
    const name = csvFileName({ from: '2024-03-02T00:00:00.000Z', to: '2024-03-03T00:00:00.000Z' });
    expect(name).toBe('time-in-status_20240302T000000Z_20240303T000000Z.csv');
  });
});
