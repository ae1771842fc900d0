/** Request schemas of GET /v1/events (Server-Sent Events). */
import { z } from 'zod';

const USER_LIST = /^[A-Za-z0-9._@:+-]{1,128}(,[A-Za-z0-9._@:+-]{1,128})*$/;

export const eventsQuery = z
  .object({
    users: z
      .string()
      .max(16_384)
      .regex(USER_LIST, 'comma-separated user ids')
      .optional()
      .describe("only these users' events (plus events not about a user); ignored for agent keys"),
    lastEventId: z
      .string()
      .max(4_096)
      .optional()
      .describe('resume after this event id, for EventSource polyfills that cannot send Last-Event-ID'),
  })
  .strict();

export const eventsHeaders = z.object({
  'last-event-id': z
    .string()
    .max(4_096)
    .optional()
    .describe('resume after this event id (sent by EventSource on reconnect); wins over ?lastEventId'),
});

export const eventStreamBody = z
  .string()
  .describe(
    [
      'text/event-stream. Each event: `id:` a resumable cursor, `event:` the type, `data:` JSON',
      '`{type, userId, at, actor, ...}` (userId null for events not about a user; actor {role, name}: who caused it,',
      'role system for timers and the PBX). Types: user.status.changed (with cause, span, and requestedBy for a',
      'deferred application, reason for a forced one), user.upcoming.changed (also pendingOffline),',
      'user.activity.started, user.activity.ended (cause stale when it was open too long), user.overage.started,',
      'user.overage.ended (an edited allowance cleared it), user.connection.changed, user.shift.started,',
      'user.shift.ended, user.offer.started, user.offer.ended, user.offer.missed, user.wrap-up.extended,',
      'user.wrap-up.ended, status-type.changed, pbx.sync.failed,',
      'pbx.connection.changed, pbx.change.reverted (a phone-side change the bridge did not follow and put back:',
      '{connection, extension, change, reason: unmapped|refused|nothing-to-resume, code, message}).',
      '`event: resync-required` (no id; data {type, reason: cursor-expired|cursor-invalid})',
      'means events may have been missed (the cursor is older than the retained window, or unreadable):',
      'reload the state, keep listening. A `: ping` comment comes every 15 s; `retry:` is sent first.',
    ].join(' '),
  );
