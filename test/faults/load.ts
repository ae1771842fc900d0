/**
 * The mixed load of the fault files and what is checked after it:
 * - agents pick statuses over HTTP (each answer is recorded, see {@link Selections});
 * - calls begin and end on agents' extensions in the fake AMI server (activities, deferred statuses, wrap-ups);
 * - heartbeats keep some agents' connection online (and its loss is a timer once they stop).
 *
 * {@link Selections.verify} checks that every acknowledged selection is in the history; {@link unsettled} lists
 * what is not (yet) as it must be once the load has stopped: no call left open, no wrap-up or upcoming status
 * left waiting, timers applied, and the fake PBX showing what each user's current status type wants.
 */
import { freepbxConnection } from '../harness/pbx.js';
import { afterAll, beforeAll } from 'vitest';
import { killAll } from '../daemon/cli-process.js';
import { FakeAmiServer, type FakeChannel } from '../fakes/fake-ami-server.js';
import { TestRedis } from '../harness/redis-server.js';
import {
  allUsers,
  call,
  freepbxMismatch,
  must,
  pace,
  type Json,
  type Reply,
  type StatusTypeView,
} from './support.js';

export const QUEUE = '400';

export interface LoadUser {
  id: string;
  ext: string;
  /** The user's own agent key (status changes are the agent's own, cause "user"). */
  key: string;
  /** caller: statuses + calls; heartbeater: statuses + heartbeats; parked: one status, left alone. */
  role: 'caller' | 'heartbeater' | 'parked';
  wrapUpSeconds: number;
}

/** Users c0.., h0.., p0.. on extensions 1001.., 1101.., 1201..; every other caller has a wrap-up. */
export function loadUsers(
  name: string,
  counts: { callers: number; heartbeaters?: number; parked?: number },
  wrapUpSeconds = 2,
): LoadUser[] {
  const make = (role: LoadUser['role'], n: number, first: number, wrapUp: (i: number) => number) =>
    Array.from({ length: n }, (_, i) => {
      const id = `${role[0]}${i}`;
      return {
        id,
        ext: String(first + i),
        key: `${name}-agent-${id}-0123456789`,
        role,
        wrapUpSeconds: wrapUp(i),
      };
    });
  return [
    ...make('caller', counts.callers, 1001, (i) => (i % 2 === 0 ? wrapUpSeconds : 0)),
    ...make('heartbeater', counts.heartbeaters ?? 0, 1101, () => 0),
    ...make('parked', counts.parked ?? 0, 1201, () => 0),
  ];
}

/** Agent keys of the load users, for the daemon's config. */
export const agentKeys = (users: LoadUser[]) =>
  users.map((u) => ({ name: `agent-${u.id}`, role: 'agent', userId: u.id, key: u.key }));

/** The daemon's config entry for the fake AMI server: connection "main", quick pings and reconnects. */
export function freepbx(ami: FakeAmiServer) {
  return freepbxConnection(ami, { pingIntervalMs: 200, backoff: { initialMs: 50, maxMs: 300 } });
}

/** Extensions of the load users in the fake AMI server, and the queue they belong to. */
export function provision(fake: FakeAmiServer, users: LoadUser[]): void {
  if (!fake.queues.has(QUEUE)) fake.addQueue(QUEUE, []);
  for (const u of users) {
    fake.db.set(`AMPUSER/${u.ext}/cidname`, u.id);
    fake.db.set(`AMPUSER/${u.ext}/device`, u.ext);
  }
}

/** Directory entries (extension, queue, wrap-up) and started shifts; parked users start in `parkedStatus`. */
export async function enrol(base: string, users: LoadUser[], parkedStatus?: string): Promise<void> {
  for (const u of users) {
    await must(base, 'PUT', `/v1/users/${u.id}`, {
      displayName: u.id,
      pbx: { connection: 'main', extension: u.ext },
      queues: [QUEUE],
      wrapUpSeconds: u.wrapUpSeconds,
    });
    const body = u.role === 'parked' && parkedStatus ? { statusId: parkedStatus } : {};
    await must(base, 'POST', `/v1/users/${u.id}/shift`, body);
  }
}

// ------------------------------------------------------------------------------------------------ selections

/** One status selection as the client saw it: acknowledged (200/202), refused (4xx) or unknown (no answer). */
export type Attempt =
  | { kind: 'applied'; statusId: string; since: string; version: number; at: number; engaged: boolean }
  | { kind: 'deferred'; statusId: string; selectedAt: string; version: number; at: number; engaged: boolean }
  | { kind: 'refused'; status: number; code: string }
  | { kind: 'unknown' };

interface Span {
  statusId: string;
  from: string;
  to: string | null;
  cause: string;
}

export interface Verdict {
  acknowledged: number;
  /** Why acknowledged selections are missing (empty when none is). */
  lost: string[];
  /** Deferred selections followed by one that got no answer (which may have replaced them). */
  unverifiable: number;
}

/** Every selection made by the load, per user, in the order each user made them (one at a time per user). */
export class Selections {
  private readonly log = new Map<string, Attempt[]>();

  record(userId: string, statusId: string, reply: Reply): void {
    const list = this.log.get(userId) ?? [];
    this.log.set(userId, list);
    const user = reply.body?.user;
    const engaged = Boolean(user && (user.activities.length > 0 || user.wrapUp));
    const at = Date.now();
    if (reply.status === 200) {
      list.push({ kind: 'applied', statusId, since: user.status.since, version: user.version, at, engaged });
    } else if (reply.status === 202) {
      const selectedAt = user.upcoming.selectedAt;
      list.push({ kind: 'deferred', statusId, selectedAt, version: user.version, at, engaged });
    } else if (reply.status >= 400 && reply.status < 500) {
      list.push({ kind: 'refused', status: reply.status, code: reply.body?.error?.code });
    } else if (reply.error === 'ECONNREFUSED') {
      list.push({ kind: 'refused', status: 0, code: 'ECONNREFUSED' }); // no daemon listened: nothing was sent
    } else {
      list.push({ kind: 'unknown' }); // reset, timeout or 5xx: it may or may not have committed
    }
  }

  /** Checks every acknowledged selection against the user's history and final version. */
  async verify(base: string): Promise<Verdict> {
    const final = new Map((await allUsers(base)).map((u: Json) => [u.id, u]));
    const verdict: Verdict = { acknowledged: 0, lost: [], unverifiable: 0 };
    for (const [userId, log] of this.log) {
      const spans = await history(base, userId);
      let lastVersion = 0;
      for (const [i, a] of log.entries()) {
        if (a.kind !== 'applied' && a.kind !== 'deferred') continue;
        verdict.acknowledged += 1;
        if (a.version < lastVersion)
          verdict.lost.push(`${userId}: version went back from ${lastVersion} to ${a.version}`);
        lastVersion = Math.max(lastVersion, a.version);
        const why = checkAcknowledged(a, log.slice(i + 1), spans);
        if (why === 'unverifiable') verdict.unverifiable += 1;
        else if (why !== 'ok') verdict.lost.push(`${userId}: ${why}`);
      }
      const version = final.get(userId)?.version ?? 0;
      if (version < lastVersion)
        verdict.lost.push(`${userId}: final version ${version} < acknowledged ${lastVersion}`);
    }
    return verdict;
  }
}

async function history(base: string, userId: string): Promise<Span[]> {
  const page = await must(base, 'GET', `/v1/users/${userId}/history?limit=1000`);
  if (page.items.length >= 1000) throw new Error(`${userId} has 1000+ spans: shorten the load`);
  return page.items;
}

/**
 * 'ok', 'unverifiable', or why an acknowledged selection is missing. An applied one (200) must be a span starting
 * at the `since` it answered. A deferred one (202) must become a `deferred` span once the user is free, unless the
 * next answered selection found the user still engaged (it may then have replaced or cleared the upcoming status).
 */
function checkAcknowledged(a: Attempt, later: Attempt[], spans: Span[]): string {
  if (a.kind === 'applied') {
    return spans.some((s) => s.statusId === a.statusId && s.from === a.since)
      ? 'ok'
      : `applied ${a.statusId} since ${a.since} (v${a.version}) is not in the history`;
  }
  if (a.kind !== 'deferred') return 'ok';
  const next = later.find((l) => l.kind !== 'refused');
  if (next?.kind === 'unknown') return 'unverifiable';
  if (next && (next.kind === 'applied' || next.kind === 'deferred') && next.engaged) return 'ok';
  const until = next && (next.kind === 'applied' || next.kind === 'deferred') ? next.at : Infinity;
  const applied = spans.some(
    (s) =>
      s.statusId === a.statusId &&
      s.cause === 'deferred' &&
      s.from >= a.selectedAt &&
      Date.parse(s.from) <= until,
  );
  return applied
    ? 'ok'
    : `deferred ${a.statusId} selected at ${a.selectedAt} (v${a.version}) was never applied`;
}

// ------------------------------------------------------------------------------------------------ load loops

export interface LoadCounters {
  selections: number;
  calls: number;
  heartbeats: number;
}

export interface LoadOptions {
  base: string;
  fake: FakeAmiServer;
  selections: Selections;
  /** Statuses picked at random (repeat one to weight it). */
  picks: string[];
  until: number;
  counters: LoadCounters;
  /** Sees every HTTP answer of the load with the time its request was sent (Date.now()). */
  observe?: (sentAt: number, reply: Reply, what: string) => void;
}

async function send(o: LoadOptions, what: string, key: string, method: string, path: string, body?: unknown) {
  const sentAt = Date.now();
  const reply = await call(o.base, key, method, path, body);
  o.observe?.(sentAt, reply, what);
  return reply;
}

/** An agent picking statuses, one request at a time, until the deadline. */
export async function selectLoop(u: LoadUser, o: LoadOptions): Promise<void> {
  while (Date.now() < o.until) {
    await pace(100, 400);
    const statusId = o.picks[Math.floor(Math.random() * o.picks.length)] as string;
    const reply = await send(o, 'PUT status', u.key, 'PUT', `/v1/users/${u.id}/status`, { statusId });
    o.selections.record(u.id, statusId, reply);
    o.counters.selections += 1;
  }
}

let callSeq = 0;
/** Calls on the agent's extension (a channel up for 0.3–2 s, then a Hangup), until the deadline; none left open. */
export async function callLoop(u: LoadUser, o: LoadOptions): Promise<void> {
  while (Date.now() < o.until) {
    await pace(200, 1_000);
    const n = ++callSeq;
    const leg: FakeChannel = {
      channel: `PJSIP/${u.ext}-${n.toString(16).padStart(8, '0')}`,
      uniqueid: `1800000000.${n}`,
      linkedid: `1800000000.${n}`,
      state: '6',
    };
    o.fake.startChannel(leg);
    o.counters.calls += 1;
    await pace(300, 2_000);
    o.fake.hangupChannel(leg.uniqueid);
  }
}

/** A client's heartbeat every second, until the deadline. */
export async function heartbeatLoop(u: LoadUser, o: LoadOptions): Promise<void> {
  while (Date.now() < o.until) {
    const reply = await send(o, 'POST heartbeat', u.key, 'POST', `/v1/users/${u.id}/heartbeat`);
    if (reply.status === 204) o.counters.heartbeats += 1;
    await pace(900, 1_100);
  }
}

/** Runs the loops of every user (and `extra`, e.g. the fault injector) until the deadline. */
export async function runLoad(
  users: LoadUser[],
  o: LoadOptions,
  extra: Array<Promise<unknown>> = [],
): Promise<void> {
  await Promise.all([
    ...users.filter((u) => u.role !== 'parked').map((u) => selectLoop(u, o)),
    ...users.filter((u) => u.role === 'caller').map((u) => callLoop(u, o)),
    ...users.filter((u) => u.role === 'heartbeater').map((u) => heartbeatLoop(u, o)),
    ...extra,
  ]);
}

// ------------------------------------------------------------------------------------------------ settled

/**
 * What is not as it must be once the load stopped (empty when all is): a call still open, a wrap-up or upcoming
 * status still waiting, a heartbeater still online `connectionTimeoutSeconds` after its last heartbeat, an
 * allowance that ran out (or runs out within 10 s, so a final check never races it) without overage, the fake PBX
 * not matching the current status type, a sync record not in-sync.
 */
export async function unsettled(
  base: string,
  fake: FakeAmiServer,
  types: Map<string, StatusTypeView>,
  users: LoadUser[],
  connectionDueAt: number,
): Promise<string[]> {
  const byId = new Map((await allUsers(base)).map((u: Json) => [u.id, u]));
  const problems: string[] = [];
  for (const u of users) {
    const state = byId.get(u.id);
    if (!state) {
      problems.push(`${u.id}: missing`);
      continue;
    }
    if (state.activities.length > 0) problems.push(`${u.id}: still engaged by ${state.activities[0].id}`);
    if (state.wrapUp) problems.push(`${u.id}: still in wrap-up until ${state.wrapUp.until}`);
    if (state.upcoming) problems.push(`${u.id}: upcoming ${state.upcoming.id} never applied`);
    if (u.role === 'heartbeater' && Date.now() > connectionDueAt && state.connection.state !== 'lost')
      problems.push(`${u.id}: connection still ${state.connection.state}`);
    const type = types.get(state.status.id) as StatusTypeView;
    const allowanceEnds = Date.parse(state.status.since) + (type.allowedMinutes ?? Infinity) * 60_000;
    if (!state.overage && Date.now() > allowanceEnds - 10_000)
      problems.push(
        `${u.id}: ${type.id} allowance runs out at ${new Date(allowanceEnds).toISOString()}, no overage`,
      );
    const mismatch = freepbxMismatch(fake, u.ext, [QUEUE], type);
    if (mismatch) problems.push(mismatch);
    if (state.pbx?.sync.state !== 'in-sync') problems.push(`${u.id}: sync ${state.pbx?.sync.state}`);
  }
  return problems;
}

/**
 * The private Redis and fake AMI server of one load test file, started before its tests with the users
 * provisioned, and stopped (with every child daemon) after them.
 */
export function useLoadRig(
  users: LoadUser[],
  options: { appendOnly: boolean },
): { redis: TestRedis; fake: FakeAmiServer } {
  const rig = {} as { redis: TestRedis; fake: FakeAmiServer };
  beforeAll(async () => {
    rig.redis = await new TestRedis({ appendOnly: options.appendOnly }).start();
    rig.fake = await new FakeAmiServer().start();
    provision(rig.fake, users);
  });
  afterAll(async () => {
    await killAll();
    await rig.fake?.stop();
    await rig.redis?.destroy();
  });
  return rig;
}
