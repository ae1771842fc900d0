/**
 * Queue pause semantics against the fake AMI server, as app_queue behaves (apps/app_queue.c): login straight into a
 * paused status in one QueueAdd, re-pause on a new reason, static members paused instead of removed, the reason read
 * from PausedReason, and an app_queue reload reported so the bridge can re-assert reasons.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DesiredSettings, PbxTarget } from '../../../src/adapters/pbx.js';
import { startRig, type Rig } from './helpers.js';

const IFACE = 'Local/1001@from-queue/n';
const target: PbxTarget = { userId: 'u1', extension: '1001', queues: ['400'] };

function wish(queues: DesiredSettings['queues']): DesiredSettings {
  return {
    statusId: 's1',
    statusName: 'S1',
    presence: { freepbx: { dnd: false, presence: 'available' }, '3cx': { profile: 'Available' } },
    queues,
    ringMyMobile: false,
    externalCalls: true,
  };
}
const onBreak = wish({ loggedIn: false, mode: 'pause', reason: 'On Break' });
const offline = wish({ loggedIn: false, mode: 'logout', reason: 'Offline' });
const active = wish({ loggedIn: true, mode: 'pause', reason: 'Active' });

/** Queue writes only (no reads, no BLF), without ActionID. */
function queueWrites(r: Rig): Array<Record<string, string>> {
  return r.fake
    .writes()
    .filter((a) => a.name.startsWith('Queue'))
    .map(({ headers }) => {
      const { actionid: _id, ...rest } = headers;
      return rest;
    });
}

let rig: Rig;
async function start(queueAddReason = true): Promise<void> {
  rig = await startRig({ fake: { queueAddReason } });
  rig.fake.db.set('AMPUSER/1001/cidname', 'Agent One');
  rig.fake.db.set('AMPUSER/1001/device', '1001');
  rig.fake.addQueue('400');
  rig.fake.presence.set('CustomPresence:1001', { state: 'available', subtype: '', message: '' });
  rig.fake.clearActions();
}
afterEach(async () => rig.close());

describe('login straight into a paused status', () => {
  it('is one QueueAdd Paused=true Reason=…, never add-then-pause', async () => {
    await start();
    expect((await rig.adapter.apply(target, onBreak)).changed).toEqual(['queues']);
    expect(queueWrites(rig)).toEqual([
      {
        action: 'QueueAdd',
        queue: '400',
        interface: IFACE,
        stateinterface: 'hint:1001@ext-local',
        membername: 'Agent One',
        penalty: '0',
        paused: 'true',
        reason: 'On Break',
      },
    ]);
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: true, reason: 'On Break' });
    rig.fake.clearActions();
    expect(await rig.adapter.apply(target, onBreak)).toEqual({ changed: [] });
  });

  it('on an Asterisk whose QueueAdd ignores Reason (before 20.12): added paused, then re-paused with the reason', async () => {
    await start(false);
    await rig.adapter.apply(target, onBreak);
    expect(queueWrites(rig).map((w) => [w.action, w.paused, w.reason])).toEqual([
      ['QueueAdd', 'true', 'On Break'],
      ['QueuePause', 'true', 'On Break'], // still paused in between: never an unpause
    ]);
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: true, reason: 'On Break' });
  });

  it('a new reason re-pauses directly (wrap-up → On Break), never unpause-then-pause', async () => {
    await start();
    await rig.adapter.apply(target, wish({ loggedIn: false, mode: 'pause', reason: 'Wrap-up' }));
    rig.fake.clearActions();
    await rig.adapter.apply(target, onBreak);
    expect(queueWrites(rig)).toEqual([
      { action: 'QueuePause', queue: '400', interface: IFACE, paused: 'true', reason: 'On Break' },
    ]);
  });
});

describe('static members', () => {
  it('are paused with the reason instead of removed, and "Member not dynamic" never fails the sync', async () => {
    await start();
    rig.fake.addQueue('400', [{ interface: IFACE, dynamic: false }]);
    expect((await rig.adapter.apply(target, offline)).changed).toEqual(['queues']);
    expect(queueWrites(rig)).toEqual([
      { action: 'QueuePause', queue: '400', interface: IFACE, paused: 'true', reason: 'Offline' },
    ]);
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: true, reason: 'Offline' });
    rig.fake.clearActions();
    await rig.adapter.apply(target, active);
    expect(queueWrites(rig)).toEqual([
      { action: 'QueuePause', queue: '400', interface: IFACE, paused: 'false' },
    ]);
  });

  it('a member that refuses QueueRemove with "Member not dynamic" is paused instead', async () => {
    await start();
    rig.fake.addQueue('400', [{ interface: IFACE, dynamic: false }]);
    rig.fake.hideMembership = true; // QueueStatus does not say static: only QueueRemove tells
    await expect(rig.adapter.apply(target, offline)).resolves.toEqual({ changed: ['queues'] });
    expect(queueWrites(rig).map((w) => w.action)).toEqual(['QueueRemove', 'QueuePause']);
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: true, reason: 'Offline' });
  });

  it('an app_queue reload keeps the pause but drops the reason: re-paused with it on the next apply', async () => {
    await start();
    rig.fake.addQueue('400', [{ interface: IFACE, dynamic: false, paused: true, reason: 'On Break' }]);
    rig.fake.reloadQueues();
    expect(rig.fake.member('400', IFACE)).toMatchObject({ paused: true, reason: '' });
    await rig.adapter.apply(target, onBreak);
    expect(queueWrites(rig)).toEqual([
      { action: 'QueuePause', queue: '400', interface: IFACE, paused: 'true', reason: 'On Break' },
    ]);
  });
});

describe('reload and reasons on the wire', () => {
  it('a Reload of app_queue (or of everything) asks for a re-sync; other modules do not', async () => {
    await start();
    rig.fake.emitEvent('Reload', [
      ['Module', 'res_pjsip.so'],
      ['Status', '0'],
    ]);
    rig.fake.emitEvent('Reload', [
      ['Module', 'app_queue.so'],
      ['Status', '2'], // not found: nothing was reloaded
    ]);
    rig.fake.reloadQueues('app_queue.so');
    rig.fake.reloadQueues('All');
    await rig.waitEvent('resyncRequested', (e) => e.reason === 'reload All');
    expect(rig.eventsOf('resyncRequested').map((e) => e.reason)).toEqual([
      'reload app_queue.so',
      'reload All',
    ]);
  });

  it('reads the pause reason from PausedReason, not the pre-18 Reason header', async () => {
    await start();
    rig.fake.emitEvent('QueueMemberPause', [
      ['Queue', '400'],
      ['MemberName', 'Agent One'],
      ['Interface', IFACE],
      ['Membership', 'dynamic'],
      ['Paused', '1'],
      ['PausedReason', 'Lunch'],
      ['Reason', 'legacy'],
    ]);
    const e = await rig.waitEvent('presenceChanged');
    expect(e.presence).toEqual({ queue: { paused: true, reason: 'Lunch', queue: '400' } });
  });
});
