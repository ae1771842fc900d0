import { describe, expect, it } from 'vitest';
import { USER, after, at, catalogOf, cmd, expectNoop, run, statusType } from './fixtures.js';

/** On break (15 allowed minutes) since t=0. */
const onBreak = () => after([[cmd.select('on-break'), 0]]);
const due = cmd.overageDue('on-break', at(0));

describe('overageDue (timer)', () => {
  it('starts the overage and emits user.overage.started', () => {
    const { next, events } = run(onBreak(), due, 900);
    expect(next.overage).toEqual({ since: at(900), allowedMinutes: 15 });
    expect(events).toEqual([
      {
        type: 'user.overage.started',
        userId: USER,
        at: at(900),
        actor: { role: 'system', name: 'timer:overage' },
        data: { statusId: 'on-break', since: at(900), allowedMinutes: 15 },
      },
    ]);
  });

  it('is stale (no-op) after the status changed', () => {
    expectNoop(after([[cmd.select('active'), 100]], undefined, onBreak()), due, 900);
  });

  it('is stale (no-op) when the same status was entered again later', () => {
    const state = after(
      [
        [cmd.select('active'), 100],
        [cmd.select('on-break'), 200],
      ],
      undefined,
      onBreak(),
    );
    expectNoop(state, due, 900);
  });

  it('is a no-op when the overage is already running', () => {
    expectNoop(run(onBreak(), due, 900).next, due, 950);
  });

  it('is a no-op when the type no longer has allowed minutes', () => {
    const catalog = catalogOf(statusType('on-break', { allowedMinutes: null }));
    expectNoop(onBreak(), due, 900, { catalog });
  });

  it('records the allowance as the catalog has it now (lowered: overage from the new limit)', () => {
    const catalog = catalogOf(statusType('on-break', { allowedMinutes: 10 }));
    expect(run(onBreak(), due, 900, { catalog }).next.overage).toEqual({
      since: at(600),
      allowedMinutes: 10,
    });
  });

  it('sets itself again, without an overage, when fired before the allowance ran out (raised, or early)', () => {
    const catalog = catalogOf(statusType('on-break', { allowedMinutes: 20 }));
    const { next, events, timers } = run(onBreak(), due, 900, { catalog });
    expect(next.overage).toBeNull();
    expect(events).toEqual([]);
    expect(timers).toEqual([
      { key: `overage:${USER}`, dueAt: at(1200), command: { ...due, rescheduledAt: at(900) } },
    ]);
  });

  it('dates the overage from when the allowance ran out, not from a late timer', () => {
    expect(run(onBreak(), due, 1000).next.overage).toEqual({ since: at(900), allowedMinutes: 15 });
  });
});
