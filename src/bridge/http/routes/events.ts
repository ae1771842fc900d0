/**
 * GET /v1/events: the real-time stream (README "Real-time streams"). The route authenticates, admits the stream (limits
 * per key and in total, for open streams and for replays), reads where to start and what to filter, then hands
 * the raw response to an EventSession fed by the process' one EventHub.
 *
 * Open streams would keep fastify's close() waiting forever (it waits for in-flight requests), so a preClose hook
 * ends them all first; the stream's `retry:` hint and cursor make clients reconnect and resume elsewhere.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError } from '../../errors.js';
import type { EventFeed } from '../../events/event-hub.js';
import { eventFilter } from '../../events/event-filter.js';
import {
  EventSession,
  type CutOffReason,
  type SessionOptions,
  type SessionView,
  type StartPoint,
} from '../../events/event-session.js';
import { decodeCursor } from '../../events/sse-cursor.js';
import { SSE_HEADERS, SseWriter } from '../../events/sse-writer.js';
import {
  StreamLimits,
  type LimitHit,
  type Slot,
  type StreamLimitOptions,
} from '../../events/stream-limits.js';
import type { Principal } from '../auth.js';
import { ANY_ROLE, authorize } from '../auth.js';
import { errorResponses } from '../schemas/common.js';
import { eventsHeaders, eventsQuery, eventStreamBody } from '../schemas/events.js';

export interface EventRoutesDeps {
  feed: EventFeed;
  /** Overrides of the session defaults (tests use a short heartbeat; the daemon passes the config). */
  session?: Partial<SessionOptions>;
  limits?: Partial<StreamLimitOptions>;
  /** Retry-After of a 429 TOO_MANY_STREAMS, in seconds. */
  retryAfterSeconds?: number;
  metrics?: {
    sseSessions: { inc(): void; dec(): void };
    sseReplays: { inc(): void; dec(): void };
    sseCutOffs: { inc(labels: { reason: CutOffReason }): void };
    sseRefused: { inc(labels: { limit: LimitHit }): void };
  };
}

export const SESSION_DEFAULTS: SessionOptions = {
  heartbeatMs: 15_000,
  retryMs: 3_000,
  maxBacklogBytes: 1024 * 1024,
  replayPageSize: 500,
  maxHeldBytes: 1024 * 1024,
  drainTimeoutMs: 30_000,
  replayTimeoutMs: 60_000,
};

export const LIMIT_DEFAULTS: StreamLimitOptions = {
  maxSessions: 5_000,
  maxSessionsPerKey: 100,
  maxReplays: 16,
  maxReplaysPerKey: 4,
};

/** Header first: EventSource updates it on every reconnect, while a polyfill's query keeps its first value. */
export function startPoint(text: string | undefined, partitions: number): StartPoint {
  if (text === undefined || text === '') return { kind: 'live' };
  const cursor = decodeCursor(text, partitions);
  return cursor ? { kind: 'resume', cursor } : { kind: 'invalid' };
}

/**
 * What a principal sees, and for an agent where all of it is indexed: its user's own entries, and the catalog's
 * (status-type.changed, partition 0), so its resume reads those two indexes and not the whole outbox.
 */
export function sessionView(principal: Principal, users: string[] | undefined, feed: EventFeed): SessionView {
  const filter = eventFilter(principal, users);
  if (principal.role !== 'agent' || !principal.userId) return { filter };
  return {
    filter,
    indexes: [
      { partition: feed.log.partitionOf(principal.userId), userId: principal.userId },
      { partition: 0, userId: null },
    ],
  };
}

const LIMIT_MESSAGES: Record<LimitHit, string> = {
  sessions: 'too many event streams are open on this daemon',
  'sessions-per-key': 'too many event streams are open for this key',
  replays: 'too many event streams are resuming on this daemon',
  'replays-per-key': 'too many event streams are resuming for this key',
};

export const eventRoutes =
  (deps: EventRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const options = { ...SESSION_DEFAULTS, ...deps.session };
    const limits = new StreamLimits({ ...LIMIT_DEFAULTS, ...deps.limits });
    const retryAfter = String(deps.retryAfterSeconds ?? 5);
    const metrics = deps.metrics;
    const open = new Set<EventSession>();
    app.addHook('preClose', async () => {
      await Promise.all([...open].map((session) => session.close()));
    });

    const admit = (taken: Slot | LimitHit, reply: { header(k: string, v: string): unknown }): Slot => {
      if (typeof taken !== 'string') return taken;
      metrics?.sseRefused.inc({ limit: taken });
      reply.header('retry-after', retryAfter);
      throw new ApiError('TOO_MANY_STREAMS', LIMIT_MESSAGES[taken], { limit: taken });
    };

    app.get(
      '/events',
      {
        schema: {
          tags: ['events'],
          security: [{ bearer: [] }],
          summary: 'Real-time events (Server-Sent Events), resumable with Last-Event-ID',
          querystring: eventsQuery,
          headers: eventsHeaders,
          produces: ['text/event-stream'],
          response: { 200: eventStreamBody, ...errorResponses(429) },
        },
      },
      async (request, reply) => {
        const principal = authorize(request, ANY_ROLE);
        // HEAD (Fastify answers it with this GET handler): the headers only. A stream's headers go out with its first
        // body byte, which a HEAD response never has, so a session would leave the request unanswered for good.
        if (request.method === 'HEAD') return reply.code(200).headers(SSE_HEADERS).send('');
        const { users, lastEventId } = request.query;
        const start = startPoint(request.headers['last-event-id'] ?? lastEventId, deps.feed.log.partitions);
        const sessionSlot = admit(limits.openSession(principal.name), reply);
        let replaySlot: Slot | undefined;
        try {
          if (start.kind === 'resume') replaySlot = admit(limits.startReplay(principal.name), reply);
        } catch (err) {
          sessionSlot.release();
          throw err;
        }
        const view = sessionView(principal, users?.split(','), deps.feed);
        reply.hijack();
        const out = new SseWriter(reply.raw);
        const session = new EventSession(deps.feed, out, view, options, {
          log: request.log,
          onCutOff: (reason) => metrics?.sseCutOffs.inc({ reason }),
        });
        open.add(session);
        metrics?.sseSessions.inc();
        if (replaySlot) metrics?.sseReplays.inc();
        const endReplay = () => {
          if (!replaySlot) return;
          replaySlot.release();
          replaySlot = undefined;
          metrics?.sseReplays.dec();
        };
        void out.whenClosed().then(() => {
          open.delete(session);
          sessionSlot.release();
          endReplay();
          metrics?.sseSessions.dec();
        });
        try {
          await session.run(start);
        } finally {
          endReplay();
        }
      },
    );
  };
