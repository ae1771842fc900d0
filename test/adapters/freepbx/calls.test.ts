/**
 * Calls over the wire: Newchannel/Hangup → activityStarted/activityEnded per (extension, linkedid), ringing
 * phones as offers (whole FreePBX call scripts from ami-calls.ts), snapshot() from CoreShowChannels, and Asterisk
 * restart detection from FullyBooted.Uptime.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AmiCalls } from '../../fakes/ami-calls.js';
import type { FakeChannel } from '../../fakes/fake-ami-server.js';
import { startRig, waitFor, type Rig } from './helpers.js';

let rig: Rig;
afterEach(async () => rig?.close());

const leg = (
  uniqueid: string,
  linkedid: string,
  channel = `PJSIP/1001-${uniqueid.replace('.', '')}`,
): FakeChannel => ({
  channel,
  uniqueid,
  linkedid,
});

/** Sends a marker call on another extension and waits for it: everything sent before was processed. */
async function barrier(r: Rig, id: string): Promise<void> {
  r.fake.startChannel(leg(`9.${id}`, `9.${id}`, `PJSIP/9999-0000${id}`));
  await r.waitEvent('activityStarted', (e) => e.activityId === `9.${id}`);
}

describe('call tracking', () => {
  it('starts on the first device channel with the linkedid and ends when it hangs up', async () => {
    rig = await startRig();
    rig.fake.startChannel(leg('1700000100.61', '1700000095.58'));
    const started = await rig.waitEvent('activityStarted');
    expect(started).toMatchObject({ extension: '1001', activityId: '1700000095.58', kind: 'call' });
    rig.fake.hangupChannel('1700000100.61');
    const ended = await rig.waitEvent('activityEnded');
    expect(ended).toMatchObject({ extension: '1001', activityId: '1700000095.58' });
  });

  it('ignores Local/ halves and counts SIP and IAX2 legs', async () => {
    rig = await startRig();
    rig.fake.startChannel(leg('1.1', '1.0', 'Local/1001@from-queue-00000001;1'));
    rig.fake.startChannel(leg('1.2', '1.0', 'Local/1001@from-queue-00000001;2'));
    rig.fake.startChannel(leg('2.1', '2.0', 'SIP/1002-0000000a'));
    rig.fake.startChannel(leg('3.1', '3.0', 'IAX2/1003-00003f2a'));
    await barrier(rig, '01');
    expect(rig.eventsOf('activityStarted').map((e) => [e.extension, e.activityId])).toEqual([
      ['1002', '2.0'],
      ['1003', '3.0'],
      ['9999', '9.01'],
    ]);
  });

  it('two channels of one call end only when the last one hangs up', async () => {
    rig = await startRig();
    rig.fake.startChannel(leg('5.1', '5.0', 'PJSIP/1001-00000001'));
    rig.fake.startChannel(leg('5.2', '5.0', 'PJSIP/1001-00000002'));
    rig.fake.hangupChannel('5.1');
    await barrier(rig, '02');
    expect(rig.eventsOf('activityStarted').filter((e) => e.extension === '1001')).toHaveLength(1);
    expect(rig.eventsOf('activityEnded')).toEqual([]);
    rig.fake.hangupChannel('5.2');
    await rig.waitEvent('activityEnded', (e) => e.activityId === '5.0');
  });

  it('a duplicate Hangup ends once; a Hangup before its Newchannel means the call never starts', async () => {
    rig = await startRig();
    const a = leg('6.1', '6.0');
    rig.fake.startChannel(a);
    rig.fake.hangupChannel('6.1');
    rig.fake.hangupChannel('6.1', a);
    const late = leg('7.1', '7.0');
    rig.fake.hangupChannel('7.1', late);
    rig.fake.startChannel(late);
    await barrier(rig, '03');
    expect(rig.eventsOf('activityEnded').map((e) => e.activityId)).toEqual(['6.0']);
    expect(rig.eventsOf('activityStarted').map((e) => e.activityId)).toEqual(['6.0', '9.03']);
  });
});

describe('snapshot', () => {
  it('lists CoreShowChannels as calls and resets the tracker to match', async () => {
    rig = await startRig();
    rig.fake.channels.set('8.1', leg('8.1', '8.0'));
    rig.fake.channels.set('8.2', leg('8.2', '8.0', 'PJSIP/1001-00000082'));
    rig.fake.channels.set('8.3', leg('8.3', '8.0', 'Local/1001@from-queue-00000003;2'));
    rig.fake.channels.set('9.1', leg('9.1', '9.0', 'PJSIP/1002-00000091'));
    const snap = await rig.adapter.snapshot();
    expect(rig.fake.actionsNamed('CoreShowChannels')).toHaveLength(1);
    expect(snap.calls.map(({ extension, activityId, kind }) => ({ extension, activityId, kind }))).toEqual([
      { extension: '1001', activityId: '8.0', kind: 'call' },
      { extension: '1002', activityId: '9.0', kind: 'call' },
    ]);
    expect(snap.takenAt.getTime() - snap.calls[0]!.since!.getTime()).toBe(192_000); // Duration 00:03:12
    expect(rig.eventsOf('activityStarted')).toEqual([]); // the bridge diffs; the snapshot itself emits nothing

    rig.fake.hangupChannel('9.1');
    await rig.waitEvent('activityEnded', (e) => e.activityId === '9.0');
    rig.fake.hangupChannel('8.1');
    rig.fake.hangupChannel('8.2');
    await rig.waitEvent('activityEnded', (e) => e.activityId === '8.0');
  });

  it('drops calls the tracker had that Asterisk no longer lists', async () => {
    rig = await startRig();
    rig.fake.startChannel(leg('4.1', '4.0'));
    await rig.waitEvent('activityStarted');
    rig.fake.channels.clear(); // the call ended while we were not looking
    expect((await rig.adapter.snapshot()).calls).toEqual([]);
  });
});

describe('Asterisk restart', () => {
  it('first connect is not a restart; a reconnect to a younger Asterisk is', async () => {
    rig = await startRig({ fake: { uptimeSeconds: 86_400 } });
    expect(rig.eventsOf('connected').map((e) => e.restarted)).toEqual([false]);
    rig.fake.dropAll();
    await waitFor(() => rig.eventsOf('connected').length === 2, { what: 'plain reconnect' });
    rig.fake.restart(12);
    await waitFor(() => rig.eventsOf('connected').length === 3, { what: 'reconnect after restart' });
    expect(rig.eventsOf('connected').map((e) => e.restarted)).toEqual([false, false, true]);
  });

  it('a FullyBooted with a smaller Uptime during a session emits connected{restarted:true}', async () => {
    rig = await startRig({ fake: { uptimeSeconds: 5_000 } });
    rig.fake.fullyBooted(5_000);
    rig.fake.fullyBooted(3);
    await waitFor(() => rig.eventsOf('connected').length === 2, { what: 'restart connected' });
    expect(rig.eventsOf('connected').map((e) => e.restarted)).toEqual([false, true]);
  });
});

describe('offers and calls, as FreePBX produces them', () => {
  /**
   * Agents' extensions only: the trunk's channel (PJSIP/provider-…) is a device channel too, which the bridge
   * ignores because no user has that extension.
   */
  const agents = <T extends { extension: string }>(list: T[]) =>
    list.filter((e) => e.extension !== 'provider');
  /** The offer and activity events of one extension as short strings, in order. */
  const story = (r: Rig, extension: string) =>
    r.events.flatMap((e) => {
      if (!('extension' in e) || e.extension !== extension) return [];
      if (e.type === 'offerEnded') return [`offerEnded ${e.answered ? 'answered' : 'unanswered'}`];
      return e.type === 'presenceChanged' ? [] : [e.type];
    });

  it('ringall: both phones ring (offers); the one that answers has the call, the other only an ended offer', async () => {
    rig = await startRig();
    const calls = new AmiCalls(rig.fake);
    const call = calls.queueCall('400', ['1001', '1002']).ring();
    await waitFor(() => agents(rig.eventsOf('offerStarted')).length === 2, { what: 'two offers' });
    expect(agents(rig.eventsOf('activityStarted'))).toEqual([]);
    const snap = await rig.adapter.snapshot();
    expect(agents(snap.calls)).toEqual([]);
    expect(
      agents(snap.offers ?? [])
        .map((o) => o.extension)
        .sort(),
    ).toEqual(['1001', '1002']);

    call.answer('1001');
    await rig.waitEvent('offerEnded', (e) => e.extension === '1002');
    call.hangUp();
    await rig.waitEvent('activityEnded', (e) => e.extension === '1001');
    expect(story(rig, '1001')).toEqual([
      'offerStarted',
      'offerEnded answered',
      'activityStarted',
      'activityEnded',
    ]);
    expect(story(rig, '1002')).toEqual(['offerStarted', 'offerEnded unanswered']);
    expect(agents(rig.eventsOf('activityStarted'))[0]).toMatchObject({ activityId: call.linkedid });
  });

  it('queue ring-no-answer: every ringing member missed the offer (once, though Asterisk says it twice)', async () => {
    rig = await startRig();
    const calls = new AmiCalls(rig.fake);
    const call = calls.queueCall('400', ['1001', '1002']).ring();
    call.ringNoAnswer();
    await waitFor(() => agents(rig.eventsOf('offerEnded')).length === 2, { what: 'offers ended' });
    // The queue tries again: a new offer for the same caller.
    call.ring(['1001']).ringNoAnswer();
    await waitFor(() => agents(rig.eventsOf('offerEnded')).length === 3, { what: 'second attempt ended' });
    expect(story(rig, '1001')).toEqual([
      'offerStarted',
      'offerMissed',
      'offerEnded unanswered',
      'offerStarted',
      'offerMissed',
      'offerEnded unanswered',
    ]);
    expect(story(rig, '1002')).toEqual(['offerStarted', 'offerMissed', 'offerEnded unanswered']);
    const [first, second] = rig.eventsOf('offerStarted').filter((e) => e.extension === '1001');
    expect(first?.offerId).not.toBe(second?.offerId);
    expect(agents(rig.eventsOf('activityStarted'))).toEqual([]);
  });

  it('a direct call that rings out is missed; one the caller gives up on is not', async () => {
    rig = await startRig();
    const calls = new AmiCalls(rig.fake);
    calls.directCall('1001').ringOut();
    calls.directCall('1002').abandon();
    await waitFor(() => agents(rig.eventsOf('offerEnded')).length === 2, { what: 'both offers ended' });
    expect(story(rig, '1001')).toEqual(['offerStarted', 'offerMissed', 'offerEnded unanswered']);
    expect(story(rig, '1002')).toEqual(['offerStarted', 'offerEnded unanswered']);
  });

  it('a call the agent dials out is an activity from the first event; a feature code is nothing', async () => {
    rig = await startRig();
    const calls = new AmiCalls(rig.fake);
    calls.featureCode('1001', '*76');
    calls.featureCode('1001', '*45');
    const out = calls.outboundCall('1001', '0612345678');
    const started = await rig.waitEvent('activityStarted', (e) => e.extension === '1001');
    expect(started).toMatchObject({ activityId: out.phone.linkedid });
    out.answer().hangUp();
    await rig.waitEvent('activityEnded', (e) => e.extension === '1001');
    expect(story(rig, '1001')).toEqual(['activityStarted', 'activityEnded']); // no offer, even while it rang out
  });

  it('a snapshot classifies listed channels the same way', async () => {
    rig = await startRig();
    const f = rig.fake;
    f.channels.set('r.1', { ...leg('r.1', 'R', 'PJSIP/1001-00000011'), state: '5' }); // ringing
    f.channels.set('u.1', { ...leg('u.1', 'U', 'PJSIP/1002-00000012'), state: '6', bridgeId: 'b-1' });
    f.channels.set('o.1', { ...leg('o.1', 'O', 'PJSIP/1003-00000013'), state: '4', exten: '0612345678' });
    f.channels.set('f.1', {
      ...leg('f.1', 'F', 'PJSIP/1004-00000014'),
      state: '6',
      exten: '*76',
      application: 'Playback',
    });
    const snap = await rig.adapter.snapshot();
    expect(snap.calls.map((c) => c.extension).sort()).toEqual(['1002', '1003']);
    expect(snap.offers).toEqual([{ extension: '1001', offerId: 'r.1' }]);
  });
});
