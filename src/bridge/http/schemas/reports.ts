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
});

export const timeInStatusReport = z
  .object({
    from: isoTime,
    to: isoTime,
    generatedAt: isoTime,
    users: z.array(
      z.object({
        userId: z.string(),
        displayName: z.string(),
        loggedInSeconds: z.number().describe('time in statuses other than Offline'),
        occupancy: z
          .number()
          .nullable()
          .describe('time in activities while logged in / logged-in time (0..1); null when never logged in'),
        missedOffers: z
          .number()
          .int()
          .describe('offers (ringing calls) let ring out in the window while free and taking queue calls'),
        statuses: z.array(statusTotals),
      }),
    ),
  })
  .describe('TimeInStatusReport (format=csv: one row per user and status, same fields)');
