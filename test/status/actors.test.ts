/** Who did it, always (issue #12, point 5): actors on events and spans, requestedBy, lastUpcoming. */
import { describe, expect, it } from 'vitest';
import { upgradeState, type UserState } from '../../src/status/index.js';
import { ACTORS, after, at, catalogOf, cmd, eventOf, fresh, run, statusType } from './fixtures.js';

const activeAt0 = () => after([[cmd.select('active'), 0]]);
const onCall = () => after([[cmd.begin('c1'), 10]], undefined, activeAt0());

describe('actors', () => {
  it('records the actor on every event of a command, and timers act as the system', () => {
    const { events } = run(activeAt0(), cmd.select('on-break', 'integration'), 10);
    for (const event of events) expect(event.actor).toEqual(ACTORS.integration);
    const state = run(activeAt0(), cmd.select('on-break', 'integration'), 10).next;
    const due = run(state, cmd.overageDue('on-break', at(10)), 910).events;
    expect(due.map((e) => e.actor)).toEqual([{ role: 'system', name: 'timer:overage' }]);
  });

  it('keeps who selected a deferred status as requestedBy, and who made it apply as the actor', () => {
    const state = after([[cmd.select('lunch', 'supervisor'), 20]], undefined, onCall());
    const { next, events } = run(state, cmd.endBy('c1', 'integration'), 30);
    const requestedBy = { actor: ACTORS.supervisor, cause: 'supervisor', at: at(20) };
    expect(next.status).toMatchObject({
      id: 'lunch',
      cause: 'deferred',
      actor: ACTORS.integration,
      requestedBy,
    });
    const changed = eventOf(events, 'user.status.changed');
    expect(changed.actor).toEqual(ACTORS.integration);
    expect(changed.data.requestedBy).toEqual(requestedBy);
    const span = eventOf(run(next, cmd.select('active'), 40).events, 'user.status.changed').data.span;
    expect(span).toMatchObject({
      statusId: 'lunch',
      cause: 'deferred',
      actor: ACTORS.integration,
      requestedBy,
    });
  });

  it('records who ended an activity', () => {
    const { events } = run(onCall(), cmd.endBy('c1', 'supervisor'), 30);
    expect(eventOf(events, 'user.activity.ended').actor).toEqual(ACTORS.supervisor);
  });
});

describe('lastUpcoming', () => {
  it('is null for a user who never had an upcoming status', () => {
    expect(fresh().lastUpcoming).toBeNull();
  });

  it('says applied when the upcoming status became the status', () => {
    const state = after([[cmd.select('lunch'), 20]], undefined, onCall());
    expect(run(state, cmd.end('c1'), 30).next.lastUpcoming).toEqual({
      id: 'lunch',
      outcome: 'applied',
      reason: 'APPLIED',
      at: at(30),
    });
  });

  it('says cancelled when it was cancelled', () => {
    const state = after([[cmd.select('lunch'), 20]], undefined, onCall());
    expect(run(state, cmd.cancel(), 25).next.lastUpcoming).toMatchObject({
      outcome: 'cancelled',
      reason: 'CANCELLED',
    });
  });

  it('says dropped, with the refusal, when its limit was reached by the time it would apply', () => {
    const state = after([[cmd.select('lunch'), 20]], undefined, onCall());
    const catalog = catalogOf(statusType('lunch', { limitPerShift: 0 }));
    expect(run(state, cmd.end('c1'), 30, { catalog }).next.lastUpcoming).toEqual({
      id: 'lunch',
      outcome: 'dropped',
      reason: 'STATUS_LIMIT_REACHED',
      at: at(30),
    });
  });

  it('stays after later changes without an upcoming status', () => {
    const state = after([[cmd.select('lunch'), 20]], undefined, onCall());
    const applied = run(state, cmd.end('c1'), 30).next;
    expect(run(applied, cmd.select('idle'), 40).next.lastUpcoming).toEqual(applied.lastUpcoming);
  });
});

describe('upgradeState (states stored before actors)', () => {
  it('fills the new fields and leaves a current state as it is', () => {
    const current = after([[cmd.select('lunch'), 20]], { config: { wrapUpSeconds: 30 } }, onCall());
    expect(upgradeState(current)).toBe(current);
    const { actor: _a, requestedBy: _r, reason: _x, ...oldStatus } = current.status;
    const { actor: _u, ...oldUpcoming } = current.upcoming!;
    const { lastUpcoming: _l, pendingOffline: _p, ...rest } = current;
    const old = { ...rest, status: oldStatus, upcoming: oldUpcoming } as unknown as UserState;
    const upgraded = upgradeState(old);
    expect(upgraded.status).toEqual({
      ...oldStatus,
      actor: { role: 'system', name: 'unrecorded' },
      requestedBy: null,
      reason: null,
    });
    expect(upgraded.upcoming?.actor).toEqual({ role: 'system', name: 'unrecorded' });
    expect(upgraded).toMatchObject({ lastUpcoming: null, pendingOffline: null });
  });
});
