/** Phone-side changes over the wire → presenceChanged (reference §8). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './helpers.js';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => rig.close());

const IFACE = 'Local/1001@from-queue/n';

describe('presenceChanged', () => {
  it('DeviceStateChange of Custom:DND<ext>: BUSY → dnd on, UNAVAILABLE / NOT_INUSE → off', async () => {
    rig.fake.emitEvent('DeviceStateChange', [
      ['Device', 'Custom:DND1001'],
      ['State', 'BUSY'],
    ]);
    rig.fake.emitEvent('DeviceStateChange', [
      ['Device', 'PJSIP/1001'],
      ['State', 'BUSY'],
    ]); // not DND
    rig.fake.emitEvent('DeviceStateChange', [
      ['Device', 'Custom:DND1001'],
      ['State', 'UNKNOWN'],
    ]); // ignored
    rig.fake.emitEvent('DeviceStateChange', [
      ['Device', 'Custom:DND1001'],
      ['State', 'UNAVAILABLE'],
    ]);
    rig.fake.emitEvent('DeviceStateChange', [
      ['Device', 'Custom:DND1002'],
      ['State', 'NOT_INUSE'],
    ]);
    await rig.waitEvent('presenceChanged', (e) => e.extension === '1002');
    expect(rig.eventsOf('presenceChanged').map((e) => [e.extension, e.presence])).toEqual([
      ['1001', { dnd: true }],
      ['1001', { dnd: false }],
      ['1002', { dnd: false }],
    ]);
  });

  it('queue member added / paused with reason / unpaused / removed', async () => {
    rig.fake.emitEvent('QueueMemberAdded', memberEvent({ paused: '0' }));
    rig.fake.emitEvent('QueueMemberPause', memberEvent({ paused: '1', reason: 'Lunch' }));
    rig.fake.emitEvent('QueueMemberPause', memberEvent({ paused: '0', reason: '' }));
    rig.fake.emitEvent('QueueMemberRemoved', memberEvent({ paused: '0' }));
    rig.fake.emitEvent('QueueMemberAdded', [
      ['Queue', '400'],
      ['Interface', 'SIP/7777'],
      ['Paused', '0'],
    ]); // not ours
    await rig.waitEvent('presenceChanged', (e) => e.presence.queue?.loggedIn === false);
    expect(rig.eventsOf('presenceChanged').map((e) => [e.extension, e.presence])).toEqual([
      ['1001', { queue: { loggedIn: true, paused: false, queue: '400' } }],
      ['1001', { queue: { paused: true, reason: 'Lunch', queue: '400' } }],
      ['1001', { queue: { paused: false, queue: '400' } }],
      ['1001', { queue: { loggedIn: false, queue: '400' } }],
    ]);
  });

  it('PresenceStateChange of CustomPresence:<ext> → presence', async () => {
    const change = (presentity: string, status: string): void =>
      rig.fake.emitEvent('PresenceStateChange', [
        ['Presentity', presentity],
        ['Status', status],
        ['Subtype', ''],
        ['Message', ''],
      ]);
    change('CustomPresence:1001', 'away');
    change('SIP/1001', 'away'); // not a CustomPresence: ignored
    change('CustomPresence:1001', ''); // invalid: ignored
    change('CustomPresence:1001', 'Lunch_Break'); // unknown: passed through as reported
    change('CustomPresence:1002', 'available');
    await rig.waitEvent('presenceChanged', (e) => e.extension === '1002');
    expect(rig.eventsOf('presenceChanged').map((e) => [e.extension, e.presence])).toEqual([
      ['1001', { presence: 'away' }],
      ['1001', { presence: 'lunch_break' }],
      ['1002', { presence: 'available' }],
    ]);
  });
});

function memberEvent({ paused, reason = '' }: { paused: string; reason?: string }): Array<[string, string]> {
  return [
    ['Queue', '400'],
    ['MemberName', 'Agent One'],
    ['Interface', IFACE],
    ['StateInterface', 'hint:1001@ext-local'],
    ['Membership', 'dynamic'],
    ['Paused', paused],
    ['PausedReason', reason],
  ];
}
