/**
 * Crash: the daemon (a child process, on a private Redis with AOF) is killed with SIGKILL several times during the
 * mixed load of load.ts and restarted each time. Afterwards:
 * - every status selection that got a 2xx is in the history, and no version went backwards (Selections.verify);
 * - no user is left engaged by a call that ended, no wrap-up or upcoming status is left waiting, and every user's
 *   queue membership and DND in the fake PBX equal what their current status type wants (unsettled());
 * - no timer was lost: each wrap-up, connection-loss and overage timer pending in Redis at a kill has had its
 *   effect once due; an overage timer not due yet is still in its partition's timer set, due at its time.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Keys } from '../../src/bridge/redis/keys.js';
import { encodeTimer } from '../../src/bridge/timers/timer-member.js';
import { decodeState } from '../../src/bridge/users/state-codec.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import {
  agentKeys,
  enrol,
  freepbx,
  loadUsers,
  runLoad,
  Selections,
  unsettled,
  type LoadCounters,
  type LoadUser,
  useLoadRig,
} from './load.js';
import {
  ChildDaemon,
  allUsers,
  figure,
  must,
  pace,
  size,
  statusTypes,
  waitPbxConnected,
  type Json,
  type StatusTypeView,
} from './support.js';

const LOAD_MS = size(20_000, 60_000);
const KILLS = size(2, 5);
const CONNECTION_TIMEOUT_SECONDS = 5;

/** A timer that was pending in the stored state when the daemon was killed. */
type PendingTimer =
  | { kind: 'wrapup'; userId: string; activityId: string; dueAt: string }
  | { kind: 'overage'; userId: string; statusId: string; since: string; dueAt: string }
  | { kind: 'conn'; userId: string; lastSeen: string; dueAt: string };

const users = loadUsers('crash', { callers: size(8, 12), heartbeaters: 4, parked: 2 });

const rig = useLoadRig(users, { appendOnly: true });

describe('kill -9 during load', () => {
  it('loses no acknowledged change, no call end and no timer', async () => {
    const prefix = uniquePrefix('crash');
    const daemon = new ChildDaemon({
      redisUrl: rig.redis.url,
      prefix,
      port: await freePort(),
      keys: agentKeys(users),
      sections: {
        status: { connectionTimeoutSeconds: CONNECTION_TIMEOUT_SECONDS },
        sync: { reconcileIntervalSeconds: 10 },
      },
      pbx: [freepbx(rig.fake)],
    });
    const base = daemon.base;
    await daemon.start();
    await waitPbxConnected(base);
    // A status with a one-minute allowance, so overage timers can come due within the full form.
    await must(base, 'POST', '/v1/status-types', {
      id: 'short-break',
      name: 'Short Break',
      color: '#AA5500',
      allowedMinutes: 1,
      callHandling: { queueLogin: false },
    });
    await enrol(base, users, 'short-break');
    const types = await statusTypes(base);

    const selections = new Selections();
    const counters: LoadCounters = { selections: 0, calls: 0, heartbeats: 0 };
    const pending: PendingTimer[] = [];
    const restartMs: number[] = [];
    const startedAt = Date.now();
    const killer = async () => {
      for (let k = 0; k < KILLS; k++) {
        // Spread over the load, each at a random point of its slot.
        const at = startedAt + (LOAD_MS * (k + 0.25 + Math.random() / 2)) / KILLS;
        await pace(at - Date.now(), at - Date.now());
        await daemon.kill();
        pending.push(...(await pendingTimers(rig.redis.url, prefix, users, types)));
        const restartAt = performance.now();
        await daemon.start();
        restartMs.push(performance.now() - restartAt);
      }
    };
    const options = {
      base,
      fake: rig.fake,
      selections,
      picks: ['active', 'active', 'idle', 'on-break', 'short-break'],
      until: startedAt + LOAD_MS,
      counters,
    };
    await runLoad(users, options, [killer()]);

    // Every call has ended (the call loops hang up before they stop); wrap-ups end and heartbeaters lose their
    // connection by timer, and the PBX must come to match. A timer claimed when its daemon was killed is due again
    // when its claim lease (5 s) ends.
    expect(rig.fake.channels.size).toBe(0);
    const connectionDueAt = Date.now() + (CONNECTION_TIMEOUT_SECONDS + 1) * 1000;
    let problems: string[] = [];
    await waitFor(
      async () => (problems = await unsettled(base, rig.fake, types, users, connectionDueAt)).length === 0,
      { timeoutMs: 80_000, intervalMs: 250, what: 'every user settled' },
    ).catch(() => undefined); // `problems` says what is left

    const verdict = await selections.verify(base);
    const final = new Map((await allUsers(base)).map((u: Json) => [u.id, u]));
    const timerProblems = [
      ...pending.flatMap((t) => timerNotApplied(t, final.get(t.userId))),
      ...(await overageTimersKept(rig.redis.url, prefix, final, types)),
    ];
    figure(
      `crash: ${KILLS} kills, ${verdict.acknowledged} acknowledged changes, ${verdict.lost.length} lost, ` +
        `${problems.length + timerProblems.length} stuck (${counters.calls} calls, ${counters.heartbeats} heartbeats; ` +
        `${pending.length} timers pending at the kills; ${verdict.unverifiable} deferred selections followed by an ` +
        `unanswered one; restart to listening max ${Math.round(Math.max(...restartMs))} ms)`,
    );
    expect(verdict.lost, 'acknowledged changes missing from the history').toEqual([]);
    expect(problems, 'users not settled').toEqual([]);
    expect(timerProblems, 'timers pending at a kill and not applied').toEqual([]);
    expect(daemon.errors(), 'error lines in the daemon logs').toEqual([]);
    expect(verdict.acknowledged).toBeGreaterThan(size(200, 1_000));
    expect(pending.some((t) => t.kind === 'wrapup') || pending.some((t) => t.kind === 'conn')).toBe(true);
  });
});

/** Timers pending in the stored states right after a kill (read from Redis: no daemon runs then). */
async function pendingTimers(
  redisUrl: string,
  prefix: string,
  load: LoadUser[],
  types: Map<string, StatusTypeView>,
): Promise<PendingTimer[]> {
  const client = new Redis(redisUrl);
  try {
    const keys = new Keys(prefix, 4);
    const out: PendingTimer[] = [];
    for (const u of load) {
      // As stored (read straight from Redis, empty fields left out), restored like the daemon's loads.
      const [json, v] = await client.hmget(keys.user(u.id), 'state', 'v');
      if (!json) continue;
      const state = decodeState(json, u.id, Number(v)) as unknown as Json;
      if (state.wrapUp) {
        const { activityId, until } = state.wrapUp;
        out.push({ kind: 'wrapup', userId: u.id, activityId, dueAt: until });
      }
      const minutes = types.get(state.status.id)?.allowedMinutes;
      if (minutes && !state.overage) {
        const dueAt = new Date(Date.parse(state.status.since) + minutes * 60_000).toISOString();
        out.push({
          kind: 'overage',
          userId: u.id,
          statusId: state.status.id,
          since: state.status.since,
          dueAt,
        });
      }
      if (state.connection.state === 'online' && state.connection.lastSeen) {
        const { lastSeen } = state.connection;
        const dueAt = new Date(Date.parse(lastSeen) + CONNECTION_TIMEOUT_SECONDS * 1000).toISOString();
        out.push({ kind: 'conn', userId: u.id, lastSeen, dueAt });
      }
    }
    return out;
  } finally {
    client.disconnect();
  }
}

/** A timer pending at a kill and due by now must have had its effect, unless the state moved on (then it is stale). */
function timerNotApplied(t: PendingTimer, state: Json): string[] {
  if (Date.parse(t.dueAt) > Date.now() - 1_000) return []; // not due yet: see overageTimersKept
  if (t.kind === 'wrapup' && state.wrapUp?.activityId === t.activityId)
    return [`${t.userId}: wrap-up of ${t.activityId} due ${t.dueAt} never ended`];
  if (
    t.kind === 'overage' &&
    state.status.id === t.statusId &&
    state.status.since === t.since &&
    !state.overage
  )
    return [`${t.userId}: overage of ${t.statusId} due ${t.dueAt} never started`];
  if (t.kind === 'conn' && state.connection.lastSeen === t.lastSeen && state.connection.state !== 'lost')
    return [`${t.userId}: connection loss due ${t.dueAt} never noticed`];
  return [];
}

/**
 * A user in a status whose allowance has not run out (the parked users in the short form) must still have its
 * overage timer in the partition's timer set, due at its time (or claimed right now: a score with a half).
 */
async function overageTimersKept(
  redisUrl: string,
  prefix: string,
  final: Map<string, Json>,
  types: Map<string, StatusTypeView>,
): Promise<string[]> {
  const client = new Redis(redisUrl);
  try {
    const keys = new Keys(prefix, 4);
    const problems: string[] = [];
    for (const state of final.values()) {
      const minutes = types.get(state.status.id)?.allowedMinutes;
      if (!minutes || state.overage) continue;
      const dueAt = new Date(Date.parse(state.status.since) + minutes * 60_000).toISOString();
      const command = { type: 'overageDue', statusId: state.status.id, since: state.status.since } as const;
      const member = encodeTimer({ userId: state.id, kind: 'overage', command });
      const score = await client.zscore(keys.timers(keys.partitionOf(state.id)), member);
      if (score === null || (Number(score) % 1 === 0 && Number(score) !== Date.parse(dueAt)))
        problems.push(`${state.id}: ${state.status.id} has no overage timer due ${dueAt} (score ${score})`);
    }
    return problems;
  } finally {
    client.disconnect();
  }
}
