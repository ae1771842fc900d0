/**
 * GET /v1/events: the real-time stream (API.md "Real time"). The route authenticates, reads where to start and
 * what to filter, then hands the raw response to an EventSession fed by the process' one EventHub.
 *
 * Open streams would keep fastify's close() waiting forever (it waits for in-flight requests), so a preClose hook
 * ends them all first; the stream's `retry:` hint and cursor make clients reconnect and resume elsewhere.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { EventFeed } from '../../events/event-hub.js';
import { eventFilter } from '../../events/event-filter.js';
import { EventSession, type SessionOptions, type StartPoint } from '../../events/event-session.js';
import { decodeCursor } from '../../events/sse-cursor.js';
import { SSE_HEADERS, SseWriter } from '../../events/sse-writer.js';
import { ANY_ROLE, authorize } from '../auth.js';
import { errorResponses } from '../schemas/common.js';
import { eventsHeaders, eventsQuery, eventStreamBody } from '../schemas/events.js';

export interface EventRoutesDeps {
  feed: EventFeed;
  /** Overrides of the session defaults (tests use a short heartbeat). */
  session?: Partial<SessionOptions>;
}

export const SESSION_DEFAULTS: SessionOptions = {
  heartbeatMs: 15_000,
  retryMs: 3_000,
  maxBacklogBytes: 1024 * 1024,
  replayPageSize: 500,
};

/** Header first: EventSource updates it on every reconnect, while a polyfill's query keeps its first value. */
export function startPoint(text: string | undefined, partitions: number): StartPoint {
  if (text === undefined || text === '') return { kind: 'live' };
  const cursor = decodeCursor(text, partitions);
  return cursor ? { kind: 'resume', cursor } : { kind: 'invalid' };
}

export const eventRoutes =
  (deps: EventRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const options = { ...SESSION_DEFAULTS, ...deps.session };
    const open = new Set<EventSession>();
    app.addHook('preClose', async () => {
      await Promise.all([...open].map((session) => session.close()));
    });

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
          response: { 200: eventStreamBody, ...errorResponses() },
        },
      },
      async (request, reply) => {
        const principal = authorize(request, ANY_ROLE);
        // HEAD (Fastify answers it with this GET handler): the headers only. A stream's headers go out with its first
        // body byte, which a HEAD response never has, so a session would leave the request unanswered for good.
        if (request.method === 'HEAD') return reply.code(200).headers(SSE_HEADERS).send('');
        const { users, lastEventId } = request.query;
        const start = startPoint(request.headers['last-event-id'] ?? lastEventId, deps.feed.log.partitions);
        const filter = eventFilter(principal, users?.split(','));
        reply.hijack();
        const out = new SseWriter(reply.raw);
        const session = new EventSession(deps.feed, out, filter, options, request.log);
        open.add(session);
        void out.whenClosed().then(() => open.delete(session));
        await session.run(start);
      },
    );
  };
