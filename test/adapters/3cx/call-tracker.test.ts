/** Engagement per DN from Call Control participants (pure). */
import { describe, expect, it } from 'vitest';
import { callsOf, CallTracker } from '../../../src/adapters/3cx/call-tracker.js';

const p = (id: number, callid?: number) => ({
  id,
  status: 'Connected',
  ...(callid === undefined ? {} : { callid }),
});

describe('3CX call tracker', () => {
  it('starts on the first participant and ends on the last, with the first call id', () => {
    const t = new CallTracker();
    expect(t.upsert('101', p(1, 500))).toEqual({ type: 'started', extension: '101', activityId: '500' });
    expect(t.upsert('101', p(2, 501))).toBeNull(); // consultation leg
    expect(t.upsert('101', p(1, 500))).toBeNull(); // status change of a known leg
    expect(t.remove('101', '1')).toBeNull();
    expect(t.remove('101', '2')).toEqual({ type: 'ended', extension: '101', activityId: '500' });
    expect(t.isEngaged('101')).toBe(false);
  });

  it('ignores removals of unknown participants', () => {
    const t = new CallTracker();
    expect(t.remove('101', '9')).toBeNull();
    t.upsert('101', p(1, 500));
    expect(t.remove('101', '9')).toBeNull();
    expect(t.isEngaged('101')).toBe(true);
  });

  it('names the activity after the participant when callid is missing', () => {
    expect(new CallTracker().upsert('101', p(4))).toMatchObject({ activityId: '101:4' });
  });

  it('diffs full listings: ended, started, continued, and replaced calls', () => {
    const t = new CallTracker();
    t.sync([
      { dn: '101', participants: [p(1, 500)] },
      { dn: '102', participants: [p(2, 600)] },
      { dn: '103', participants: [p(3, 700)] },
    ]);
    const changes = t.sync([
      { dn: '101', participants: [p(1, 500), p(9, 900)] }, // continues
      { dn: '102', participants: [] }, // ended
      { dn: '103', participants: [p(4, 701)] }, // one call ended, another began
      { dn: '104', participants: [p(5, 800)] }, // new
    ]);
    expect(changes).toEqual([
      { type: 'ended', extension: '102', activityId: '600' },
      { type: 'ended', extension: '103', activityId: '700' },
      { type: 'started', extension: '103', activityId: '701' },
      { type: 'started', extension: '104', activityId: '800' },
    ]);
    expect(t.remove('101', '1')).toBeNull();
    expect(t.remove('101', '9')).toEqual({ type: 'ended', extension: '101', activityId: '500' });
  });

  it('lists the calls of a listing for snapshot()', () => {
    expect(
      callsOf([
        { dn: '101', participants: [p(1, 500), p(2, 501)] },
        { dn: '901', participants: [] },
      ]),
    ).toEqual([{ extension: '101', activityId: '500', kind: 'call' }]);
  });
});
