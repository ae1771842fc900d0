/** Offers and engagement per DN from Call Control participants (pure, with a hand-moved clock). */
import { describe, expect, it } from 'vitest';
import { callsOf, CallTracker, offersOf, type CallChange } from '../../../src/adapters/3cx/call-tracker.js';

const p = (id: number, callid?: number, status = 'Connected') => ({
  id,
  status,
  ...(callid === undefined ? {} : { callid }),
});
const ringing = (id: number, callid: number) => p(id, callid, 'Ringing');

/** A tracker with a 1 s grace and a clock the test moves. */
function tracker(): { t: CallTracker; pass: (ms: number) => void } {
  let now = 0;
  return { t: new CallTracker(1000, () => now), pass: (ms) => (now += ms) };
}

const short = (changes: CallChange[]) =>
  changes.map((c) => {
    if (c.type === 'offerEnded') return `${c.type}:${c.offerId}:${c.answered ? 'answered' : 'unanswered'}`;
    return `${c.type}:${'offerId' in c ? c.offerId : c.activityId}`;
  });

describe('3CX call tracker', () => {
  it('starts on the first connected leg and ends on the last, with the first call id', () => {
    const { t } = tracker();
    expect(t.upsert('101', p(1, 500))).toEqual([{ type: 'started', extension: '101', activityId: '500' }]);
    expect(t.upsert('101', p(2, 501))).toEqual([]); // consultation leg
    expect(t.upsert('101', p(1, 500))).toEqual([]); // status change of a known leg
    expect(t.remove('101', '1')).toEqual([]);
    expect(t.remove('101', '2')).toEqual([{ type: 'ended', extension: '101', activityId: '500' }]);
    expect(t.isEngaged('101')).toBe(false);
  });

  it('ignores removals of unknown participants', () => {
    const { t } = tracker();
    expect(t.remove('101', '9')).toEqual([]);
    t.upsert('101', p(1, 500));
    expect(t.remove('101', '9')).toEqual([]);
    expect(t.isEngaged('101')).toBe(true);
  });

  it('names the activity after the participant when callid is missing', () => {
    expect(tracker().t.upsert('101', p(4))).toMatchObject([{ activityId: '101:4' }]);
  });

  it('a Ringing leg is an offer; connected, it ends answered and the call starts', () => {
    const { t } = tracker();
    expect(short(t.upsert('101', ringing(1, 500)))).toEqual(['offerStarted:101:1']);
    expect(t.isEngaged('101')).toBe(false);
    expect(short(t.upsert('101', p(1, 500)))).toEqual(['offerEnded:101:1:answered', 'started:500']);
    expect(short(t.upsert('101', ringing(1, 500)))).toEqual([]); // never back to ringing
    expect(short(t.remove('101', '1'))).toEqual(['ended:500']);
  });

  it('a Dialing leg (the extension calls out) is a call from the start, never an offer', () => {
    const { t } = tracker();
    expect(short(t.upsert('101', p(1, 500, 'Dialing')))).toEqual(['started:500']);
  });

  it('an unreadable or unknown status counts as a call (the safe side)', () => {
    const { t } = tracker();
    expect(short(t.upsert('101', { id: 1 }))).toEqual(['started:101:1']);
    expect(short(t.upsert('102', p(2, 7, 'Parked')))).toEqual(['started:7']);
  });

  it('a ringing leg removed unanswered is missed after the grace, unless its call was connected elsewhere', () => {
    const { t, pass } = tracker();
    t.upsert('101', ringing(1, 500)); // ringall: both ring
    t.upsert('102', ringing(2, 500));
    t.upsert('103', ringing(3, 600)); // another call nobody takes
    expect(short(t.remove('101', '1'))).toEqual(['offerEnded:101:1:unanswered']); // removed first…
    expect(short(t.upsert('102', p(2, 500)))).toEqual(['offerEnded:102:2:answered', 'started:500']); // …taken here
    expect(short(t.remove('103', '3'))).toEqual(['offerEnded:103:3:unanswered']);
    pass(999);
    expect(t.due()).toEqual([]);
    pass(1);
    expect(short(t.due())).toEqual(['offerMissed:103:3']);
    expect(t.due()).toEqual([]); // once
  });

  it('a call answered before this leg rang does not excuse it (a transfer nobody takes)', () => {
    const { t, pass } = tracker();
    t.upsert('101', p(1, 500));
    pass(10);
    t.upsert('102', ringing(2, 500));
    t.remove('102', '2');
    pass(1000);
    expect(short(t.due())).toEqual(['offerMissed:102:2']);
  });

  it('a second call ringing during a call is its own offer; the call goes on when it stops', () => {
    const { t } = tracker();
    t.upsert('101', p(1, 500));
    expect(short(t.upsert('101', ringing(2, 501)))).toEqual(['offerStarted:101:2']);
    expect(short(t.remove('101', '2'))).toEqual(['offerEnded:101:2:unanswered']);
    expect(t.isEngaged('101')).toBe(true);
  });

  it('diffs full listings: ended, started, continued, replaced calls, and offers', () => {
    const { t } = tracker();
    t.sync([
      { dn: '101', participants: [p(1, 500)] },
      { dn: '102', participants: [p(2, 600)] },
      { dn: '103', participants: [p(3, 700)] },
      { dn: '105', participants: [ringing(6, 950)] },
    ]);
    const changes = t.sync([
      { dn: '101', participants: [p(1, 500), p(9, 900)] }, // continues
      { dn: '102', participants: [] }, // ended
      { dn: '103', participants: [p(4, 701)] }, // one call ended, another began
      { dn: '104', participants: [p(5, 800)] }, // new
      { dn: '105', participants: [p(6, 950)] }, // answered
    ]);
    expect(short(changes)).toEqual([
      'ended:600',
      'ended:700',
      'started:701',
      'offerEnded:105:6:answered',
      'started:950',
      'started:800',
    ]);
    expect(t.remove('101', '1')).toEqual([]);
    expect(t.remove('101', '9')).toEqual([{ type: 'ended', extension: '101', activityId: '500' }]);
  });

  it('lists the calls and the ringing legs of a listing for snapshot()', () => {
    const listing = [
      { dn: '101', participants: [p(1, 500), p(2, 501)] },
      { dn: '102', participants: [ringing(3, 502)] },
      { dn: '901', participants: [] },
    ];
    expect(callsOf(listing)).toEqual([{ extension: '101', activityId: '500', kind: 'call' }]);
    expect(offersOf(listing)).toEqual([{ extension: '102', offerId: '102:3' }]);
  });
});
