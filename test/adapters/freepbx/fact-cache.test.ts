/**
 * What apply() costs on the wire and why it stays right: AMI actions per sync (reads and writes) with the facts the
 * adapter remembers, the events that make it forget one, verify, and pipelined actions (several in flight at once,
 * each settling on its own; a dropped link fails them all, retryably).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AmiSession } from '../../../src/adapters/freepbx/ami-session.js';
import { FactCache } from '../../../src/adapters/freepbx/fact-cache.js';
import { resolveFreepbxOptions } from '../../../src/adapters/freepbx/options.js';
import type { DesiredSettings, PbxError, PbxTarget } from '../../../src/adapters/pbx.js';
import { WRITE_ACTIONS, type RecordedAction } from '../../fakes/fake-ami-server.js';
import { fastOptions, startRig, waitFor, type Rig, rejection } from './helpers.js';

const IFACE = 'Local/1001@from-queue/n';
const target: PbxTarget = { userId: 'u1', extension: '1001', queues: ['400'] };

const active: DesiredSettings = {
  statusId: 'active',
  statusName: 'Active',
  presence: { freepbx: { dnd: false, presence: 'available' }, '3cx': { profile: 'Available' } },
  queues: { loggedIn: true, mode: 'pause', reason: '' },
  ringMyMobile: false,
  externalCalls: true,
};
const onBreak: DesiredSettings = {
  ...active,
  statusId: 'on-break',
  statusName: 'On Break',
  presence: { freepbx: { dnd: true, presence: 'away', message: 'On Break' }, '3cx': { profile: 'Away' } },
  queues: { loggedIn: false, mode: 'pause', reason: 'On Break' },
};
const offline: DesiredSettings = { ...active, queues: { loggedIn: false, mode: 'logout', reason: '' } };

const SESSION = new Set(['ping', 'login', 'logoff', 'events']);
const isWrite = (a: RecordedAction): boolean => WRITE_ACTIONS.has(a.name.toLowerCase());
const reads = (r: Rig): string[] =>
  r.fake.actions.filter((a) => !isWrite(a) && !SESSION.has(a.name.toLowerCase())).map((a) => a.name);
const writes = (r: Rig): string[] => r.fake.writes().map((a) => a.name);

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
  rig.fake.db.set('AMPUSER/1001/cidname', 'Agent One');
  rig.fake.db.set('AMPUSER/1001/device', '1001');
  rig.fake.addQueue('400', [{ interface: IFACE, name: 'Agent One' }]);
  rig.fake.presence.set('CustomPresence:1001', { state: 'available', subtype: '', message: '' });
  rig.fake.clearActions();
});
afterEach(async () => rig.close());

/** Applies and returns the AMI actions it cost. */
async function cost(wish: DesiredSettings, verify = false): Promise<{ reads: string[]; writes: string[] }> {
  rig.fake.clearActions();
  await rig.adapter.apply(target, wish, { verify });
  return { reads: reads(rig), writes: writes(rig) };
}

describe('AMI actions per sync', () => {
  it('reads each fact once; a later status change sends only its writes (before: 8 reads each time)', async () => {
    const first = await cost(active);
    // cid name, devices, queue status, DND (AstDB + device state), presence, Follow Me, external calls: 8 reads
    expect(first.reads.sort()).toEqual([
      'DBGet',
      'DBGet',
      'DBGet',
      'DBGet',
      'DBGet',
      'Getvar',
      'PresenceState',
      'QueueStatus',
    ]);
    expect(first.writes).toEqual([]);

    const toBreak = await cost(onBreak);
    expect(toBreak.reads).toEqual([]);
    // pause, DND in AstDB, Custom:DND + Custom:DEVDND device states, presence: the minimum
    expect(toBreak.writes.sort()).toEqual(['DBPut', 'QueuePause', 'Setvar', 'Setvar', 'Setvar']);

    const back = await cost(active);
    expect(back.reads).toEqual([]);
    expect(back.writes.sort()).toEqual(['DBDel', 'QueuePause', 'Setvar', 'Setvar', 'Setvar']);

    const again = await cost(onBreak);
    expect(again).toEqual({ reads: [], writes: expect.arrayContaining(['QueuePause', 'DBPut']) });
    expect(again.writes).toHaveLength(5);
  });

  it('a write that does not differ from the last applied state is skipped, without a read', async () => {
    await cost(onBreak);
    expect(await cost(onBreak)).toEqual({ reads: [], writes: [] });
    // only the presence message differs: one Setvar, nothing else
    const message = {
      ...onBreak,
      presence: { ...onBreak.presence, freepbx: { ...onBreak.presence.freepbx, message: 'Lunch' } },
    };
    expect(await cost(message)).toEqual({ reads: [], writes: ['Setvar'] });
    expect(rig.fake.presence.get('CustomPresence:1001')?.message).toBe('Lunch');
  });

  it('verify reads every setting from the PBX and repairs what changed behind the cache', async () => {
    await cost(onBreak);
    // changed on the PBX without any event (CLI `database del`, another AMI client): not observable
    rig.fake.db.delete('DND/1001');
    expect((await cost(onBreak)).writes).toEqual([]); // trusted: the documented risk until the next verify
    const verified = await cost(onBreak, true);
    expect(verified.reads).toHaveLength(8);
    expect(verified.writes).toContain('DBPut');
    expect(rig.fake.db.get('DND/1001')).toBe('YES');
  });
});

describe('events that make the adapter forget a fact', () => {
  it('DND toggled on the phone (*76: DeviceStateChange) is re-read and put back', async () => {
    await cost(onBreak);
    // *76: FreePBX deletes DND/<ext> and sets Custom:DND<ext> UNAVAILABLE
    rig.fake.db.delete('DND/1001');
    rig.fake.deviceStates.set('Custom:DND1001', 'UNAVAILABLE');
    rig.fake.emitEvent('DeviceStateChange', [
      ['Device', 'Custom:DND1001'],
      ['State', 'UNAVAILABLE'],
    ]);
    await rig.waitEvent('presenceChanged', (e) => e.presence.dnd === false);
    const after = await cost(onBreak);
    expect(after.reads.sort()).toEqual(['DBGet', 'Getvar']);
    expect(after.writes.sort()).toEqual(['DBPut', 'Setvar', 'Setvar']);
    expect(rig.fake.db.get('DND/1001')).toBe('YES');
  });

  it('a member removed elsewhere (QueueMemberRemoved) is re-read and added back', async () => {
    await cost(active);
    const members = rig.fake.queues.get('400') ?? [];
    members.splice(0, members.length); // *45 logged the agent out
    rig.fake.emitEvent('QueueMemberRemoved', [
      ['Queue', '400'],
      ['MemberName', 'Agent One'],
      ['Interface', IFACE],
      ['Membership', 'dynamic'],
      ['Paused', '0'],
      ['PausedReason', ''],
    ]);
    await rig.waitEvent('presenceChanged', (e) => e.presence.queue?.loggedIn === false);
    const after = await cost(active);
    expect(after.reads).toContain('QueueStatus');
    expect(after.writes).toContain('QueueAdd');
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: false });
  });

  it('a member paused elsewhere (QueueMemberPause) is re-read; our own pause echo is not', async () => {
    await cost(onBreak);
    expect(await cost(onBreak)).toEqual({ reads: [], writes: [] }); // our echo confirmed the pause
    const m = rig.fake.member('400', IFACE);
    if (m) Object.assign(m, { paused: false, reason: '' });
    rig.fake.emitEvent('QueueMemberPause', [
      ['Queue', '400'],
      ['Interface', IFACE],
      ['Membership', 'dynamic'],
      ['Paused', '0'],
      ['PausedReason', ''],
    ]);
    await rig.waitEvent('presenceChanged', (e) => e.presence.queue?.paused === false);
    const after = await cost(onBreak);
    expect(after).toEqual({ reads: ['QueueStatus'], writes: ['QueuePause'] });
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: true, reason: 'On Break' });
  });

  it('a presence set elsewhere (PresenceStateChange) is re-read', async () => {
    await cost(onBreak);
    rig.fake.presence.set('CustomPresence:1001', { state: 'available', subtype: '', message: '' });
    rig.fake.emitEvent('PresenceStateChange', [
      ['Presentity', 'CustomPresence:1001'],
      ['Status', 'available'],
      ['Subtype', ''],
      ['Message', ''],
    ]);
    await rig.waitEvent('presenceChanged', (e) => e.presence.presence === 'available');
    expect(await cost(onBreak)).toEqual({ reads: ['PresenceState'], writes: ['Setvar'] });
  });

  it('a Reload (FreePBX Apply Config) forgets configuration such as the queue penalty', async () => {
    await cost(offline); // logged out; the next login reads the penalty
    await cost(active);
    expect(rig.fake.member('400', IFACE)?.penalty).toBe('0');
    await cost(offline);
    rig.fake.db.set('QPENALTY/400/agents/1001', '5'); // changed in the GUI, then Apply Config
    rig.fake.reloadQueues('All');
    await rig.waitEvent('resyncRequested');
    const login = await cost(active);
    expect(login.reads).toContain('QueueStatus');
    expect(rig.fake.member('400', IFACE)?.penalty).toBe('5');
  });

  it('a reconnect forgets everything (events of the gap are lost)', async () => {
    await cost(onBreak);
    rig.fake.dropAll();
    rig.fake.db.delete('DND/1001'); // changed while the link was down
    await waitFor(() => rig.eventsOf('connected').length >= 2, { what: 'reconnected' });
    const after = await cost(onBreak);
    expect(after.reads).toHaveLength(8);
    expect(after.writes.sort()).toEqual(['DBPut', 'Setvar', 'Setvar']);
  });
});

describe('pipelined AMI actions', () => {
  it('sends a sync’s independent reads together, and a dropped link fails them all (retryable)', async () => {
    rig.fake.ignoredActions.add('queuestatus');
    rig.fake.ignoredActions.add('getvar');
    rig.fake.ignoredActions.add('presencestate');
    const applying = rejection(rig.adapter.apply(target, onBreak));
    // sequential code would wait for the first unanswered read; pipelined, all three are in flight at once
    await waitFor(
      () => ['QueueStatus', 'Getvar', 'PresenceState'].every((n) => rig.fake.actionsNamed(n).length === 1),
      { what: 'three unanswered reads in flight' },
    );
    rig.fake.dropAll();
    const err = await applying;
    expect(err.code).toBe('PBX_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(rig.fake.writes()).toEqual([]); // nothing was written on a half-read state
  });

  it('actions in flight together settle independently, each by its own ActionID', async () => {
    const session = new AmiSession(
      resolveFreepbxOptions(fastOptions(rig.fake.port, { actionTimeoutMs: 300 })),
      { onEvent: () => undefined, onReady: () => undefined, onDown: () => undefined },
    );
    session.start();
    try {
      await waitFor(() => session.status().connected, { what: 'session ready' });
      rig.fake.ignoredActions.add('getvar');
      const [late, put, bad, get] = await Promise.allSettled([
        session.send({ Action: 'Getvar', Variable: 'X' }),
        session.send({ Action: 'DBPut', Family: 'F', Key: 'k', Val: 'v' }),
        session.send({ Action: 'QueueAdd', Queue: 'nope', Interface: IFACE }),
        session.list({ Action: 'DBGet', Family: 'F', Key: 'k' }, 'DBGetComplete'),
      ]);
      expect(late.status === 'rejected' && (late.reason as PbxError).code).toBe('PBX_TIMEOUT');
      expect(put.status === 'fulfilled' && put.value.response).toBe('Success');
      expect(bad.status === 'fulfilled' && bad.value.message).toMatch(/No such queue/);
      expect(get.status === 'fulfilled' && get.value.items[0]?.val).toBe('v');
      // the ActionIDs were distinct and each reply went to its own caller
      const ids = rig.fake.actions.filter((a) => a.session > 1).map((a) => a.headers.actionid);
      expect(new Set(ids).size).toBe(ids.length);

      rig.fake.ignoredActions.add('dbput');
      const pending = [1, 2, 3].map((i) =>
        session.send({ Action: 'DBPut', Family: 'F', Key: `k${i}`, Val: 'v' }).catch((e: unknown) => e),
      );
      await waitFor(() => rig.fake.actionsNamed('DBPut').length === 4, { what: 'three DBPut in flight' });
      rig.fake.dropAll();
      for (const e of await Promise.all(pending)) expect((e as PbxError).code).toBe('PBX_UNAVAILABLE');
    } finally {
      await session.stop();
    }
  });
});

describe('FactCache on its own', () => {
  it('a read that an event contradicted while it was in flight is not remembered', async () => {
    const cache = new FactCache('Local/{ext}@from-queue/n');
    const facts = cache.forExtension('1001');
    let answer: (v: boolean) => void = () => undefined;
    const reading = facts.read('dndState', () => new Promise<boolean>((r) => (answer = r)));
    // *76 while our Getvar was on the wire: its answer may predate the change
    cache.observe({ event: 'DeviceStateChange', device: 'Custom:DND1001', state: 'BUSY' });
    answer(false);
    expect(await reading).toBe(false);
    let loads = 0;
    await facts.read('dndState', async () => (++loads, true));
    expect(loads).toBe(1); // read again, not served from the raced value
  });

  it('remembers a static member as not removable, so the next logout sends nothing', async () => {
    const m = rig.fake.member('400', IFACE);
    if (m) m.dynamic = false;
    rig.fake.hideMembership = true; // learnt from QueueRemove's "Member not dynamic", not from QueueStatus
    expect(await cost(offline)).toMatchObject({ writes: ['QueueRemove', 'QueuePause'] });
    expect(await cost(offline)).toEqual({ reads: [], writes: [] });
  });
});
