/** States stored by earlier versions get the fields added since, on load. */
import { describe, expect, it } from 'vitest';
import { upgradeState, type UserState } from '../../src/status/index.js';
import { after, at, cmd } from './fixtures.js';

/** A state as an earlier version stored it: no offers, no missed-offer count, a wrap-up without `since`. */
function stored(): Record<string, unknown> {
  const state = after(
    [
      [cmd.select('active'), 0],
      [cmd.begin('c1'), 10],
      [cmd.end('c1'), 40],
    ],
    { config: { wrapUpSeconds: 30 } },
  );
  const { offers: _o, endedOffers: _e, missedOffers: _m, ...rest } = state;
  return { ...rest, wrapUp: { activityId: 'c1', until: at(70) } };
}

describe('upgradeState', () => {
  it('fills in offers, the missed-offer count and the wrap-up start (from the call end)', () => {
    const upgraded = upgradeState(stored() as unknown as UserState);
    expect(upgraded).toMatchObject({
      offers: [],
      endedOffers: [],
      missedOffers: { consecutive: 0, recent: [] },
      wrapUp: { activityId: 'c1', since: at(40), until: at(70) },
    });
  });

  it('returns a current state as it is', () => {
    const current = after([[cmd.select('active'), 0]]);
    expect(upgradeState(current)).toBe(current);
  });
});
