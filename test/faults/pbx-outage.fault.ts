/**
 * PBX outage: the fake AMI server goes away (connections dropped and refused) during the mixed load of load.ts.
 * While it is away, calls end and begin on the PBX unseen and agents keep picking statuses (deferred ones while
 * their bridge state still shows the call). The load stops before the PBX returns, so every call has ended by
 * then. After it returns, everything must be reconciled: calls that ended are ended, deferred statuses applied,
 * queue membership and DND as each user's current status wants, every sync record in-sync; nothing acknowledged
 * is lost.
 */
import { describe, expect, it } from 'vitest';
import type { FakeChannel } from '../fakes/fake-ami-server.js';
import { KEYS } from '../harness/daemon.js';
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
  useLoadRig,
} from './load.js';
import {
  ChildDaemon,
  allUsers,
  call,
  figure,
  pace,
  size,
  statusTypes,
  waitPbxConnected,
  type Json,
} from './support.js';

const OUTAGE_MS = size(5_000, 30_000);
/** Load with the PBX there before the outage. */
const LEAD_MS = size(4_000, 8_000);

const users = loadUsers('outage', { callers: size(8, 12) });

const rig = useLoadRig(users, { appendOnly: false });

describe('PBX outage under load', () => {
  it('reconciles everything once the PBX is back', async () => {
    const daemon = new ChildDaemon({
      redisUrl: rig.redis.url,
      prefix: uniquePrefix('pbx-outage'),
      port: await freePort(),
      keys: agentKeys(users),
      pbx: [freepbx(rig.fake)],
    });
    const base = daemon.base;
    await daemon.start();
    await waitPbxConnected(base);
    await enrol(base, users);
    const types = await statusTypes(base);

    const selections = new Selections();
    const counters: LoadCounters = { selections: 0, calls: 0, heartbeats: 0 };
    const startedAt = Date.now();
    let away: { at: number; calls: number; selections: number } | undefined;
    // Every agent is on a long call when the PBX goes away, and each of those calls ends during the outage: the
    // agents' selections meanwhile are deferred, and only the reconcile can apply them.
    const long: FakeChannel[] = users.map((u, i) => ({
      channel: `PJSIP/${u.ext}-ffff${i.toString(16).padStart(4, '0')}`,
      uniqueid: `1900000000.${i}`,
      linkedid: `1900000000.${i}`,
    }));
    const outage = async () => {
      await pace(LEAD_MS, LEAD_MS);
      for (const leg of long) rig.fake.startChannel(leg);
      await waitFor(
        async () => {
          const shown = await allUsers(base);
          return long.every((leg) =>
            shown.some((u: Json) => u.activities.some((a: Json) => a.id === leg.linkedid)),
          );
        },
        { what: 'every agent on a long call' },
      );
      await rig.fake.refuse();
      away = { at: Date.now(), calls: counters.calls, selections: counters.selections };
      await waitFor(
        async () => !(await call(base, KEYS.admin, 'GET', '/v1/pbx')).body.connections[0].connected,
        {
          what: 'the daemon sees the PBX gone',
        },
      );
      await Promise.all(
        long.map(async (leg) => {
          await pace(0, OUTAGE_MS / 2);
          rig.fake.hangupChannel(leg.uniqueid);
        }),
      );
    };
    const options = {
      base,
      fake: rig.fake,
      selections,
      picks: ['active', 'active', 'idle', 'on-break'],
      until: startedAt + LEAD_MS + OUTAGE_MS,
      counters,
    };
    await runLoad(users, options, [outage()]);
    if (!away) throw new Error('the outage never began');
    const duringOutage = {
      calls: counters.calls - away.calls,
      selections: counters.selections - away.selections,
    };

    // The load has stopped, every call has ended: the bridge still shows the calls it could not see end.
    expect(rig.fake.channels.size).toBe(0);
    const before = await allUsers(base);
    const engaged = before.filter((u: Json) => u.activities.length > 0).length;
    const waiting = before.filter((u: Json) => u.upcoming).length;

    await rig.fake.accept();
    const backAt = Date.now();
    await waitPbxConnected(base);
    const connectedMs = Date.now() - backAt;
    let problems: string[] = [];
    await waitFor(
      async () => (problems = await unsettled(base, rig.fake, types, users, Infinity)).length === 0,
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: 'every user reconciled',
      },
    ).catch(() => undefined); // `problems` says what is left
    const reconciledMs = Date.now() - backAt;
    const verdict = await selections.verify(base);
    const after = await allUsers(base);
    const deferredApplied = after.filter(
      (u: Json) => u.status.cause === 'deferred' && Date.parse(u.status.since) >= backAt,
    ).length;

    figure(
      `pbx-outage: AMI away ${((backAt - away.at) / 1000).toFixed(1)} s while ${duringOutage.calls} calls ` +
        `and ${duringOutage.selections} selections happened; on return ${engaged} users still shown engaged and ` +
        `${waiting} with a deferred status; reconnected after ${connectedMs} ms, all reconciled after ` +
        `${reconciledMs} ms (${deferredApplied} deferred statuses applied); ${verdict.acknowledged} acknowledged ` +
        `changes, ${verdict.lost.length} lost, ${problems.length} stuck`,
    );
    expect(problems, 'users not reconciled').toEqual([]);
    expect(verdict.lost, 'acknowledged changes missing from the history').toEqual([]);
    expect(engaged, 'every agent is shown on the call that ended unseen').toBe(users.length);
    expect(daemon.errors(), 'error lines in the daemon log').toEqual([]);
  });
});
