/** Request and response schemas of /v1/reports. */
import { z } from 'zod';
import { isoTime, userId } from './common.js';

/** The longest window one report may cover: a quarter, with room for a 31-day month on each side. */
export const MAX_REPORT_DAYS = 93;
const DAY_MS = 86_400_000;

export const timeInStatusQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).describe('window start (inclusive), ISO-8601'),
    to: z.iso
      .datetime({ offset: true })
      .describe(`window end (exclusive), after from, at most ${MAX_REPORT_DAYS} days later`),
    userId: userId.optional().describe('only this user; all users when absent'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict()
  .superRefine((q, ctx) => {
    const length = Date.parse(q.to) - Date.parse(q.from);
    if (length <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (length > MAX_REPORT_DAYS * DAY_MS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_REPORT_DAYS} days after from` });
  });

const statusTotals = z.object({
  statusId: z.string(),
  name: z.string(),
  seconds: z.number().describe('time in the status inside the window'),
  entries: z.number().int().describe('stays in the status that started inside the window'),
  overageSeconds: z.number().describe('time over the allowed minutes inside the window'),
  overageCount: z.number().int().describe('stays with time over the allowed minutes inside the window'),
});

const share = (text: string) => z.number().nullable().describe(`${text} (0..1); null when the divisor is 0`);

export const timeInStatusReport = z
  .object({
    from: isoTime,
    to: isoTime,
    generatedAt: isoTime,
    users: z.array(
      z.object({
        userId: z.string(),
        displayName: z.string(),
        loggedInSeconds: z.number().describe('logged-in time: time in statuses other than Offline'),
        handleSeconds: z
          .number()
          .describe(
            'handle time: answered activity time (calls, tasks, chats, interactions; not ringing, not activities ended as stale) plus wrap-up, while logged in; overlaps count once',
          ),
        availableSeconds: z
          .number()
          .describe('available time: time in statuses that take queue calls (callHandling.queueLogin)'),
        availableIdleSeconds: z.number().describe('available time not in handle time'),
        breakSeconds: z
          .number()
          .describe('break time: logged-in time in status types that are not productive'),
        occupancy: share('occupancy = handle time ÷ (handle time + available idle time)'),
        utilization: share('utilization = handle time ÷ logged-in time'),
        overageCount: z.number().int().describe('stays over their allowed minutes, all statuses'),
        overageSeconds: z.number().describe('time over the allowed minutes, all statuses'),
        missedOffers: z
          .number()
          .int()
          .describe('offers (ringing calls) let ring out in the window while free and taking queue calls'),
        statuses: z.array(statusTotals),
      }),
    ),
  })
  .describe(
    'TimeInStatusReport (format=csv: one row per user and status, the user totals repeated on each row; the user overage totals are userOverageCount and userOverageSeconds)',
  );
