/**
 * /v1/users: the directory and every command on a user's state (README "Routes"). Each command route is a row of
 * one table: who may call it, how the request becomes a domain command, and how the result is answered.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canForce, openSpan, type Actor, type Command, type UserState } from '../../../status/index.js';
import type { CatalogCache } from '../../catalog/catalog-cache.js';
import type { SyncRecord } from '../../users/user-view.js';
import { userView } from '../../users/user-view.js';
import type { UserService } from '../../users/user-service.js';
import { pageOf, type UserStore } from '../../users/user-store.js';
import { ApiError } from '../../errors.js';
import { authorize, type AccessRule, type Principal } from '../auth.js';
import { HeartbeatLimit } from '../heartbeat-limit.js';
import { errorResponses, ifMatchHeader, parseIfMatch, userId } from '../schemas/common.js';
import {
  beginActivityBody,
  directoryBody,
  endShiftQuery,
  extendWrapUpBody,
  historyPage,
  historyQuery,
  listUsersQuery,
  selectStatusBody,
  startShiftBody,
  statusChangeResult,
  userPage,
  userResult,
  userStateBody,
} from '../schemas/users.js';

export interface UserRoutesDeps {
  users: UserService;
  store: UserStore;
  catalog: CatalogCache;
  defaultShiftStatus: string;
  /** PBX sync record of a user, when PBX sync runs. */
  syncRecord?: (userId: string) => Promise<SyncRecord | null>;
  /** Users whose PBX sync is pending or failed (sync/sync-index.ts), for `?syncState=`. */
  usersInSyncState?: (state: 'pending' | 'failed') => Promise<string[]>;
  clock?: () => Date;
  /** Heartbeats per key and user and minute (status.heartbeatsPerMinute); absent = 120. */
  heartbeatsPerMinute?: number;
}

const tags = ['users'];
const security = [{ bearer: [] }];
const idParams = z.object({ id: userId });
/** Merge-and-commit rounds of a directory upsert before giving up with VERSION_CONFLICT (see upsertDirectory). */
const UPSERT_ATTEMPTS = 20;

const READERS: AccessRule = { roles: ['admin', 'supervisor'], agentSelf: true };
const CHANGERS: AccessRule = { roles: ['admin', 'supervisor', 'integration'], agentSelf: true };
const DIRECTORY_WRITERS: AccessRule = { roles: ['admin', 'integration'] };
const ACTIVITY_WRITERS: AccessRule = { roles: ['admin', 'integration'] };
/** Ending any activity of any user is also a supervisor's (e.g. a call the PBX never reported as ended). */
const ACTIVITY_ENDERS: AccessRule = { roles: ['admin', 'supervisor', 'integration'] };
const HEARTBEAT_SENDERS: AccessRule = { roles: ['admin', 'integration'], agentSelf: true };
const LISTERS: AccessRule = { roles: ['admin', 'supervisor'] };
const ADMINS: AccessRule = { roles: ['admin'] };

/** Who the change is attributed to: the key's role and name, recorded on spans and events. */
function actorOf(principal: Principal): Actor {
  return { role: principal.role, name: principal.name };
}

/** `force` (and its `reason`) is for supervisors and admins only (README "Routes"): anyone else gets 403. */
function checkForce(actor: Actor, force: boolean | undefined): void {
  if (force && !canForce(actor)) {
    throw new ApiError('FORBIDDEN', `the "${actor.role}" key "${actor.name}" may not force changes`);
  }
}

export const userRoutes =
  (deps: UserRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const heartbeats = new HeartbeatLimit(deps.heartbeatsPerMinute ?? 120, deps.clock);
    /** A page of the users not in step with the PBX (and in `status`, when given too). */
    const syncStatePage = async (
      syncState: 'pending' | 'failed',
      status: string | undefined,
      limit: number,
      cursor: string | undefined,
    ) => {
      const ids = (await deps.usersInSyncState?.(syncState)) ?? [];
      const inStatus = status === undefined ? null : new Set(await deps.store.usersInStatus(status));
      return pageOf(
        ids.filter((id) => inStatus === null || inStatus.has(id)),
        limit,
        cursor,
      );
    };

    /** Sync records read along with a command's commit (see ExecuteOptions.onCommitSent), per request. */
    const readWithCommit = new WeakMap<
      FastifyRequest,
      { userId: string; sync: Promise<SyncRecord | null> }
    >();
    const view = async (state: UserState, request?: FastifyRequest) => {
      const early = request ? readWithCommit.get(request) : undefined;
      const sync = early?.userId === state.id ? early.sync : deps.syncRecord?.(state.id);
      return userView(state, await deps.catalog.get(), (await sync) ?? null);
    };

    /**
     * Upsert = merge the fields sent over the stored entry, then commit. The merge reads the entry, so the commit
     * is guarded by the version that was read (compare-and-set) and the merge is redone when another write got in
     * between; before, a concurrent upsert could silently bring back a field another one had just changed.
     * A client's If-Match is checked against the same version and is never retried.
     */
    const upsertDirectory = async (
      id: string,
      body: z.infer<typeof directoryBody>,
      clientExpected: number | undefined,
    ): Promise<{ state: UserState; created: boolean }> => {
      for (let attempt = 1; ; attempt++) {
        const existing = await deps.store.load(id);
        const version = existing?.version ?? 0;
        const directory = {
          displayName: body.displayName,
          pbx: body.pbx !== undefined ? body.pbx : (existing?.directory.pbx ?? null),
          mobile: body.mobile !== undefined ? body.mobile : (existing?.directory.mobile ?? null),
          queues: body.queues ?? existing?.directory.queues ?? [],
          wrapUpSeconds:
            body.wrapUpSeconds !== undefined
              ? body.wrapUpSeconds
              : (existing?.directory.wrapUpSeconds ?? null),
        };
        try {
          const { state } = await deps.users.execute(
            id,
            { type: 'upsertDirectory', directory },
            { expectedVersion: clientExpected ?? version },
          );
          return { state, created: existing === null };
        } catch (err) {
          const lostRace = err instanceof ApiError && err.code === 'VERSION_CONFLICT';
          if (!lostRace || clientExpected !== undefined || attempt >= UPSERT_ATTEMPTS) throw err;
        }
      }
    };

    app.put(
      '/users/:id',
      {
        config: { access: DIRECTORY_WRITERS },
        schema: {
          tags,
          security,
          summary: 'Create or update a directory entry',
          params: idParams,
          headers: ifMatchHeader,
          body: directoryBody,
          response: { 200: userStateBody, 201: userStateBody, ...errorResponses(409) },
        },
      },
      async (request, reply) => {
        authorize(request, DIRECTORY_WRITERS);
        const expected = parseIfMatch((request.headers as { 'if-match'?: string })['if-match']);
        const { state, created } = await upsertDirectory(request.params.id, request.body, expected);
        return reply.code(created ? 201 : 200).send(await view(state));
      },
    );

    app.get(
      '/users',
      {
        config: { access: LISTERS },
        schema: {
          tags,
          security,
          summary: 'Page of user states (supervisor board)',
          querystring: listUsersQuery,
          response: { 200: userPage, ...errorResponses() },
        },
      },
      async (request) => {
        authorize(request, LISTERS);
        const { status, syncState, cursor, limit } = request.query;
        const { ids, more } = syncState
          ? await syncStatePage(syncState, status, limit, cursor)
          : await deps.store.pageIds(limit, cursor, status);
        const states = (await deps.store.loadMany(ids)).filter((s): s is UserState => s !== null);
        return {
          items: await Promise.all(states.map((s) => view(s))),
          nextCursor: more ? (ids[ids.length - 1] ?? null) : null,
        };
      },
    );

    app.get(
      '/users/:id',
      {
        config: { access: READERS },
        schema: {
          tags,
          security,
          summary: 'One user state',
          params: idParams,
          response: { 200: userStateBody, ...errorResponses(404) },
        },
      },
      async (request) => {
        authorize(request, READERS, request.params.id);
        return view(await deps.users.get(request.params.id));
      },
    );

    app.delete(
      '/users/:id',
      {
        config: { access: ADMINS },
        schema: {
          tags,
          security,
          summary: 'Delete a user (admin)',
          params: idParams,
          headers: ifMatchHeader,
          response: { 204: z.null(), ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        authorize(request, ADMINS);
        const expected = parseIfMatch((request.headers as { 'if-match'?: string })['if-match']);
        await deps.users.delete(request.params.id, expected);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/users/:id/history',
      {
        config: { access: READERS },
        schema: {
          tags,
          security,
          summary: 'Status spans, newest first (the open one first)',
          params: idParams,
          querystring: historyQuery,
          response: { 200: historyPage, ...errorResponses(404) },
        },
      },
      async (request) => {
        authorize(request, READERS, request.params.id);
        const state = await deps.users.get(request.params.id);
        const { from, to, limit } = request.query;
        const now = (deps.clock?.() ?? new Date()).toISOString();
        const stored = await deps.store.history(state.id, 2000);
        const all = [openSpan(state, await deps.catalog.get(), now), ...stored];
        const fromMs = from ? Date.parse(from) : -Infinity;
        const toMs = to ? Date.parse(to) : Infinity;
        const items = all.filter(
          (s) => Date.parse(s.from) < toMs && (s.to === null || Date.parse(s.to) > fromMs),
        );
        return { items: items.slice(0, limit) };
      },
    );

    type CommandRoute = {
      method: 'PUT' | 'POST' | 'DELETE';
      url: string;
      summary: string;
      access: AccessRule;
      body?: z.ZodType;
      params?: z.ZodObject;
      querystring?: z.ZodType;
      toCommand: (request: FastifyRequest, actor: Actor) => Command;
      answer: (
        reply: FastifyReply,
        state: UserState,
        changed: boolean,
        request: FastifyRequest,
      ) => Promise<unknown>;
    };

    const userAnswer = async (reply: FastifyReply, state: UserState, _changed: boolean, r: FastifyRequest) =>
      reply.code(200).send({ user: await view(state, r) });

    const COMMANDS: CommandRoute[] = [
      {
        method: 'PUT',
        url: '/users/:id/status',
        summary:
          'Select a status: 200 applied now, 202 deferred (upcoming); force (supervisor, admin): applied now, past the limit',
        access: CHANGERS,
        body: selectStatusBody,
        toCommand: (r, actor) => {
          const { statusId, force, reason } = r.body as {
            statusId: string;
            force?: boolean;
            reason?: string;
          };
          checkForce(actor, force);
          return {
            type: 'selectStatus',
            statusId,
            actor,
            ...(force ? { force } : {}),
            ...(reason !== undefined ? { reason } : {}),
          };
        },
        answer: async (reply, state, _changed, r) => {
          const applied = state.upcoming?.id !== (r.body as { statusId: string }).statusId;
          return reply.code(applied ? 200 : 202).send({ applied, user: await view(state, r) });
        },
      },
      {
        method: 'DELETE',
        url: '/users/:id/status/upcoming',
        summary: 'Cancel the upcoming status (and an Offline pending for a lost connection)',
        access: CHANGERS,
        toCommand: (_r, actor) => ({ type: 'cancelUpcoming', actor }),
        answer: userAnswer,
      },
      {
        method: 'POST',
        url: '/users/:id/shift',
        summary: 'Start a shift',
        access: CHANGERS,
        body: startShiftBody,
        toCommand: (r, actor) => ({
          type: 'startShift',
          statusId: (r.body as { statusId?: string } | null | undefined)?.statusId ?? deps.defaultShiftStatus,
          actor,
        }),
        answer: userAnswer,
      },
      {
        method: 'DELETE',
        url: '/users/:id/shift',
        summary: 'End the shift (status becomes Offline); ?force=true: from any status, even while engaged',
        access: CHANGERS,
        querystring: endShiftQuery,
        toCommand: (r, actor) => {
          const { force, reason } = r.query as { force?: boolean; reason?: string };
          checkForce(actor, force);
          return {
            type: 'endShift',
            actor,
            ...(force ? { force } : {}),
            ...(reason !== undefined ? { reason } : {}),
          };
        },
        answer: userAnswer,
      },
      {
        method: 'DELETE',
        url: '/users/:id/wrap-up',
        summary: 'End wrap-up (after-call work) early',
        access: CHANGERS,
        toCommand: (_r, actor) => ({ type: 'endWrapUp', actor }),
        answer: userAnswer,
      },
      {
        method: 'POST',
        url: '/users/:id/wrap-up/extend',
        summary: 'Extend the running wrap-up (bounded by status.wrapUpMaxSeconds from the call end)',
        access: CHANGERS,
        body: extendWrapUpBody,
        toCommand: (r) => ({ type: 'extendWrapUp', seconds: (r.body as { seconds: number }).seconds }),
        answer: userAnswer,
      },
      {
        method: 'POST',
        url: '/users/:id/activities',
        summary: 'Begin a system activity (idempotent on id)',
        access: ACTIVITY_WRITERS,
        body: beginActivityBody,
        toCommand: (r, actor) => {
          const b = r.body as { id: string; kind: 'call' | 'task' | 'chat' | 'interaction' };
          return {
            type: 'beginActivity',
            activity: { id: b.id, kind: b.kind, source: `api:${r.principal?.name ?? 'unknown'}` },
            actor,
          };
        },
        answer: async (reply, state, changed, r) =>
          reply.code(changed ? 201 : 200).send({ user: await view(state, r) }),
      },
      {
        method: 'DELETE',
        url: '/users/:id/activities/:activityId',
        summary: 'End an activity (idempotent); supervisors may end any, recorded with who did it',
        access: ACTIVITY_ENDERS,
        params: z.object({ id: userId, activityId: z.string().min(1).max(128) }),
        toCommand: (r, actor) => ({
          type: 'endActivity',
          activityId: (r.params as { activityId: string }).activityId,
          actor,
        }),
        answer: userAnswer,
      },
      {
        method: 'POST',
        url: '/users/:id/heartbeat',
        summary: "The user's client is connected",
        access: HEARTBEAT_SENDERS,
        toCommand: (_r, actor) => ({ type: 'heartbeat', actor }),
        answer: async (reply) => reply.code(204).send(null),
      },
    ];

    /**
     * A heartbeat is answered 204 whenever the user exists and the key is within its rate: its time is recorded
     * before any commit is tried (user-service.ts), so a restore that keeps losing races to other writers is made by
     * the next heartbeat or by the timer, never reported to the client as a conflict. Only a client's own If-Match
     * (README "Routes": every write honours it) can make a heartbeat 409.
     */
    const heartbeat = async (
      id: string,
      principal: Principal,
      request: FastifyRequest,
      reply: FastifyReply,
    ) => {
      heartbeats.take(principal.name, id);
      const expectedVersion = parseIfMatch((request.headers as { 'if-match'?: string })['if-match']);
      try {
        await deps.users.execute(id, { type: 'heartbeat', actor: actorOf(principal) }, { expectedVersion });
      } catch (err) {
        const lostRaces = err instanceof ApiError && err.code === 'VERSION_CONFLICT';
        if (!lostRaces || expectedVersion !== undefined) throw err;
      }
      return reply.code(204).send(null);
    };

    for (const route of COMMANDS) {
      const responses = route.url.endsWith('/heartbeat')
        ? { 204: z.null(), ...errorResponses(429) }
        : route.url.endsWith('/status')
          ? { 200: statusChangeResult, 202: statusChangeResult }
          : route.url.endsWith('/activities')
            ? { 200: userResult, 201: userResult }
            : { 200: userResult };
      app.route({
        method: route.method,
        url: route.url,
        config: { access: route.access },
        schema: {
          tags,
          security,
          summary: route.summary,
          params: route.params ?? idParams,
          headers: ifMatchHeader,
          ...(route.body ? { body: route.body } : {}),
          ...(route.querystring ? { querystring: route.querystring } : {}),
          response: { ...responses, ...errorResponses(404, 409) },
        },
        handler: async (request, reply) => {
          const { id } = request.params as { id: string };
          const principal = authorize(request, route.access, id);
          if (route.url.endsWith('/heartbeat')) return heartbeat(id, principal, request, reply);
          const expectedVersion = parseIfMatch((request.headers as { 'if-match'?: string })['if-match']);
          const syncRecord = deps.syncRecord;
          const result = await deps.users.execute(id, route.toCommand(request, actorOf(principal)), {
            expectedVersion,
            // Perf: the reply's sync record is read in the commit's write (one round trip less per change).
            onCommitSent: syncRecord
              ? () => {
                  const sync = syncRecord(id);
                  sync.catch(() => undefined); // a failed commit answers without it; read again then
                  readWithCommit.set(request, { userId: id, sync });
                }
              : undefined,
          });
          return route.answer(reply, result.state, result.changed, request);
        },
      });
    }
  };
