/** Overage follows the status type as it is now (issue #12, point 3). On Break allows 15 minutes. */
import { describe, expect, it } from 'vitest';
import {
  CATALOG,
  USER,
  after,
  at,
  catalogOf,
  cmd,
  eventOf,
  expectNoop,
  run,
  statusType,
} from './fixtures.js';

const allowing = (allowedMinutes: number | null) =>
  catalogOf(statusType('on-break', { allowedMinutes, keepOnConnectionLoss: true, canEndShift: false }));
/** On Break since t=0, and 10 minutes in. */
const onBreak = () => after([[cmd.select('on-break'), 0]]);

describe('replanOverage (an admin edited allowedMinutes)', () => {
  it('lowered below the time already spent: overage starts at once, from when the new allowance ran out', () => {
    const { next, events } = run(onBreak(), cmd.replan('on-break'), 600, { catalog: allowing(5) });
    expect(next.overage).toEqual({ since: at(300), allowedMinutes: 5 });
    expect(eventOf(events, 'user.overage.started').data).toEqual({
      statusId: 'on-break',
      since: at(300),
      allowedMinutes: 5,
    });
  });

  it('raised: the overage timer moves to the new allowance', () => {
    const { next, timers } = run(onBreak(), cmd.replan('on-break'), 600, { catalog: allowing(30) });
    expect(next.overage).toBeNull();
    expect(timers).toEqual([
      {
        key: `overage:${USER}`,
        dueAt: at(1800),
        command: { type: 'overageDue', statusId: 'on-break', since: at(0) },
      },
    ]);
    // The old timer (15 min) is then early and starts nothing; the new one starts the overage.
    expect(
      run(onBreak(), cmd.overageDue('on-break', at(0)), 900, { catalog: allowing(30) }).next.overage,
    ).toBeNull();
    expect(
      run(onBreak(), cmd.overageDue('on-break', at(0)), 1800, { catalog: allowing(30) }).next.overage,
    ).toEqual({
      since: at(1800),
      allowedMinutes: 30,
    });
  });

  it('raised past the time spent while in overage: the overage ends', () => {
    const over = after([[cmd.overageDue('on-break', at(0)), 900]], undefined, onBreak());
    expect(over.overage).not.toBeNull();
    const { next, events } = run(over, cmd.replan('on-break'), 1000, { catalog: allowing(60) });
    expect(next.overage).toBeNull();
    expect(eventOf(events, 'user.overage.ended').data).toEqual({
      statusId: 'on-break',
      since: at(900),
      reason: 'allowance-changed',
    });
  });

  it('raised but still over: the overage moves', () => {
    const over = after([[cmd.overageDue('on-break', at(0)), 900]], undefined, onBreak());
    const { next } = run(over, cmd.replan('on-break'), 1500, { catalog: allowing(20) });
    expect(next.overage).toEqual({ since: at(1200), allowedMinutes: 20 });
  });

  it('unset: the overage ends and no timer is set', () => {
    const over = after([[cmd.overageDue('on-break', at(0)), 900]], undefined, onBreak());
    const { next, timers } = run(over, cmd.replan('on-break'), 1000, { catalog: allowing(null) });
    expect(next.overage).toBeNull();
    expect(timers).toEqual([]);
  });

  it('is a no-op for a user in another status, when nothing changed, or for a deleted type', () => {
    expectNoop(after([[cmd.select('active'), 0]]), cmd.replan('on-break'), 600, { catalog: allowing(5) });
    const over = after([[cmd.overageDue('on-break', at(0)), 900]], undefined, onBreak());
    expectNoop(over, cmd.replan('on-break'), 1000);
    const catalog = new Map([...CATALOG].filter(([id]) => id !== 'lunch'));
    expectNoop(after([[cmd.select('lunch'), 0]]), cmd.replan('lunch'), 600, { catalog });
  });
});

describe('overage seconds of a span', () => {
  it('come from the times when the span closes, even if the overage timer never ran', () => {
    const state = onBreak();
    expect(state.overage).toBeNull();
    const span = eventOf(run(state, cmd.select('active'), 1500).events, 'user.status.changed').data.span;
    expect(span).toMatchObject({ statusId: 'on-break', seconds: 1500, overageSeconds: 600 });
  });

  it('follow the allowance as edited, also without a re-plan', () => {
    const span = eventOf(
      run(onBreak(), cmd.select('active'), 1500, { catalog: allowing(5) }).events,
      'user.status.changed',
    ).data.span;
    expect(span).toMatchObject({ overageSeconds: 1200 });
  });
});
