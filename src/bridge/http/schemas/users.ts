/** Request and response schemas of /v1/users. */
import { z } from 'zod';
import { isoTime, statusTypeId } from './common.js';

const typeRef = { id: z.string(), name: z.string(), color: z.string() };
const phoneNumber = z.string().regex(/^\+?[0-9*#]{2,32}$/, 'digits, optionally starting with +');
const extension = z.string().regex(/^[0-9A-Za-z*#+_-]{1,32}$/, '1 to 32 digits or letters');

export const directoryBody = z
  .object({
    displayName: z.string().trim().min(1).max(120),
    pbx: z
      .object({ connection: z.string().regex(/^[a-z0-9][a-z0-9-]*$/), extension })
      .strict()
      .nullable()
      .optional(),
    mobile: phoneNumber.nullable().optional(),
    queues: z
      .array(z.string().regex(/^[0-9A-Za-z_-]{1,64}$/))
      .max(100)
      .optional(),
    wrapUpSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .nullable()
      .optional()
      .describe('per-user wrap-up override; null = global'),
  })
  .strict();

const activity = z.object({
  id: z.string(),
  kind: z.enum(['call', 'task', 'chat', 'interaction']),
  source: z.string(),
  since: isoTime,
});

export const userStateBody = z
  .object({
    id: z.string(),
    displayName: z.string(),
    status: z.object({ ...typeRef, since: isoTime, cause: z.string() }),
    upcoming: z.object({ ...typeRef, selectedAt: isoTime }).nullable(),
    activities: z.array(activity),
    offer: z
      .object({ since: isoTime, source: z.string().describe('e.g. "freepbx:main"') })
      .nullable()
      .describe(
        'the phone rings with an unanswered call (not an activity: it defers nothing); null otherwise',
      ),
    wrapUp: z
      .object({
        activityId: z.string().describe('the call whose after-call work this is'),
        since: isoTime.describe('when the call ended'),
        until: isoTime.describe('when the wrap-up ends unless extended or ended early'),
      })
      .nullable(),
    shift: z
      .object({ id: z.string(), startedAt: isoTime, usage: z.record(z.string(), z.number()) })
      .nullable(),
    overage: z.object({ since: isoTime, allowedMinutes: z.number() }).nullable(),
    connection: z.object({ state: z.enum(['online', 'lost', 'unknown']), lastSeen: isoTime.nullable() }),
    pbx: z
      .object({
        connection: z.string(),
        extension: z.string(),
        sync: z.object({
          state: z.enum(['in-sync', 'pending', 'failed']),
          lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
          syncedAt: isoTime.nullable(),
          unsupported: z
            .array(z.string())
            .describe(
              'settings of the current status this PBX cannot carry out (queues.perQueue, queues.pause, ' +
                'queues.pauseReason, ringMyMobile, externalCalls, externalCalls.inbound); see GET /v1/pbx capabilities',
            ),
        }),
      })
      .nullable(),
    mobile: z.string().nullable(),
    queues: z.array(z.string()),
    wrapUpSeconds: z.number().nullable(),
    version: z.number().int(),
  })
  .describe('UserState');

export const userPage = z.object({ items: z.array(userStateBody), nextCursor: z.string().nullable() });
export const listUsersQuery = z
  .object({
    status: statusTypeId.optional(),
    cursor: z.string().max(256).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export const selectStatusBody = z.object({ statusId: statusTypeId }).strict();
export const extendWrapUpBody = z
  .object({
    seconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .describe('more seconds of wrap-up; the total from the call end stays within status.wrapUpMaxSeconds'),
  })
  .strict();
export const statusChangeResult = z.object({ applied: z.boolean(), user: userStateBody });
export const userResult = z.object({ user: userStateBody });
/** The body is optional: "start my shift" with the configured default status is a POST without a body. */
export const startShiftBody = z.object({ statusId: statusTypeId.optional() }).strict().nullish();
export const beginActivityBody = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[^\s]+$/, 'no spaces'),
    kind: z.enum(['call', 'task', 'chat', 'interaction']),
  })
  .strict();

export const historySpanBody = z.object({
  statusId: z.string(),
  name: z.string(),
  from: isoTime,
  to: isoTime.nullable(),
  seconds: z.number(),
  overageSeconds: z.number(),
  cause: z.string(),
});
export const historyQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export const historyPage = z.object({ items: z.array(historySpanBody) });
