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

const CAUSES =
  'user, deferred, connection-lost, shift-start, shift-end, shift-auto-end, pbx, supervisor (activities: stale)';
const cause = z.string().describe(`why: ${CAUSES}`);

export const actorBody = z
  .object({
    role: z.enum(['admin', 'supervisor', 'agent', 'integration', 'system']),
    name: z
      .string()
      .describe('the API key\'s name; for system: which part, e.g. "freepbx:main", "timer:shift"'),
  })
  .describe('Actor: who caused it');

const requestedBy = z
  .object({ actor: actorBody, cause, at: isoTime })
  .nullable()
  .describe('for a deferred application: who had selected the status, why and when; else null');
const reason = z.string().nullable().describe("a supervisor's reason given with a forced change; else null");

export const lastUpcomingBody = z
  .object({
    id: z.string(),
    outcome: z.enum(['applied', 'cancelled', 'dropped']),
    reason: z
      .string()
      .describe(
        'APPLIED, CANCELLED, SUPERSEDED (another status or the shift end came first), CONNECTION_LOST, or the code that refused it when its turn came (STATUS_LIMIT_REACHED, STATUS_TYPE_NOT_FOUND, NO_SHIFT): dropped',
      ),
    at: isoTime,
  })
  .nullable()
  .describe('what became of the last upcoming status; null when there was none');

export const userStateBody = z
  .object({
    id: z.string(),
    displayName: z.string(),
    status: z.object({ ...typeRef, since: isoTime, cause, actor: actorBody, requestedBy, reason }),
    upcoming: z.object({ ...typeRef, selectedAt: isoTime, actor: actorBody }).nullable(),
    lastUpcoming: lastUpcomingBody,
    pendingOffline: z
      .object({ since: isoTime })
      .nullable()
      .describe(
        'the connection was lost while engaged: Offline is applied when the work ends unless it comes back first (the upcoming status is kept beside it); cancel with DELETE .../status/upcoming',
      ),
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
          state: z
            .enum(['in-sync', 'pending', 'failed'])
            .describe(
              'in-sync: the PBX has the settings the state asks for; pending: a change of them is on its way ' +
                '(set by the commit itself, so the reply of the change says so); failed: they could not be ' +
                'applied (see lastError) after the retry budget',
            ),
          since: isoTime.nullable().describe('when the current sync state began'),
          desiredFingerprint: z
            .string()
            .nullable()
            .describe('digest of the PBX settings the current state asks for'),
          appliedFingerprint: z
            .string()
            .nullable()
            .describe('digest of the PBX settings last applied; equal to desiredFingerprint when in-sync'),
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
    syncState: z
      .enum(['pending', 'failed'])
      .optional()
      .describe('only users whose PBX sync is pending (a change on its way) or failed'),
    cursor: z.string().max(256).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export const selectStatusBody = z
  .object({
    statusId: statusTypeId,
    force: z
      .boolean()
      .optional()
      .describe(
        'supervisor, admin (others 403): applied now even while engaged and past the per-shift limit',
      ),
    reason: z.string().trim().min(1).max(200).optional().describe('recorded with a forced change'),
  })
  .strict()
  .refine((b) => b.reason === undefined || b.force === true, {
    message: 'only together with force: true',
    path: ['reason'],
  });

export const endShiftQuery = z
  .object({
    force: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('supervisor, admin (others 403): end the shift from any status, even while engaged'),
    reason: z.string().trim().min(1).max(200).optional().describe('recorded with a forced end'),
  })
  .strict()
  .refine((q) => q.reason === undefined || q.force === true, {
    message: 'only together with force=true',
    path: ['reason'],
  });

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
  overageSeconds: z
    .number()
    .describe("time past the type's allowed minutes, computed from the times when the span closes"),
  cause,
  actor: actorBody.describe('who entered the status'),
  requestedBy,
  reason,
});
export const historyQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export const historyPage = z.object({ items: z.array(historySpanBody) });
