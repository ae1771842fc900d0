/** Supervisor control: forced status changes and forced shift ends (issue #12, point 6). */
import { describe, expect, it } from 'vitest';
import { ACTORS, after, at, catalogOf, cmd, eventOf, refuse, run, statusType, types } from './fixtures.js';

const activeAt0 = () => after([[cmd.select('active'), 0]]);
/** Active, on call c1 from t=10, with lunch upcoming (the agent's own choice) from t=20. */
const onCallWithLunch = () =>
  after(
    [
      [cmd.begin('c1'), 10],
      [cmd.select('lunch'), 20],
    ],
    undefined,
    activeAt0(),
  );

describe('selectStatus with force', () => {
  it('applies the status now while engaged; the activity goes on and the agent’s upcoming is superseded', () => {
    const { next, events } = run(onCallWithLunch(), cmd.force('idle', 'agent left the desk'), 30);
    expect(next.status).toEqual({
      id: 'idle',
      since: at(30),
      cause: 'supervisor',
      actor: ACTORS.supervisor,
      requestedBy: null,
      reason: 'agent left the desk',
    });
    expect(next.activities.map((a) => a.id)).toEqual(['c1']);
    expect(next.upcoming).toBeNull();
    expect(next.lastUpcoming).toEqual({
      id: 'lunch',
      outcome: 'cancelled',
      reason: 'SUPERSEDED',
      at: at(30),
    });
    const changed = eventOf(events, 'user.status.changed');
    expect(changed.data).toMatchObject({ to: 'idle', cause: 'supervisor', reason: 'agent left the desk' });
    expect(changed.actor).toEqual(ACTORS.supervisor);
  });

  it('applies past the per-shift limit, and still counts the entry', () => {
    const state = after(
      [
        [cmd.select('training'), 10],
        [cmd.select('active'), 20],
      ],
      undefined,
      activeAt0(),
    );
    expect(refuse(state, cmd.select('training', 'supervisor'), 30).code).toBe('STATUS_LIMIT_REACHED');
    const { next } = run(state, cmd.force('training', undefined, 'admin'), 30);
    expect(next.status).toMatchObject({
      id: 'training',
      cause: 'supervisor',
      actor: ACTORS.admin,
      reason: null,
    });
    expect(next.shift?.usage.training).toBe(2);
  });

  it('is still refused for an unknown type', () => {
    expect(refuse(activeAt0(), cmd.force('ghost'), 10).code).toBe('STATUS_TYPE_NOT_FOUND');
  });

  it('of the current status only clears the upcoming one', () => {
    const { next, events } = run(onCallWithLunch(), cmd.force('active'), 30);
    expect(next.status.since).toBe(at(0));
    expect(next.upcoming).toBeNull();
    expect(types(events)).toEqual(['user.upcoming.changed']);
  });

  it('the span of a forced status records the reason and who forced it', () => {
    const state = run(activeAt0(), cmd.force('idle', 'coaching'), 30).next;
    const span = eventOf(run(state, cmd.select('active'), 90).events, 'user.status.changed').data.span;
    expect(span).toMatchObject({ statusId: 'idle', seconds: 60, cause: 'supervisor', reason: 'coaching' });
    expect(span).toMatchObject({ actor: ACTORS.supervisor });
  });
});

describe('endShift with force', () => {
  it('ends the shift while engaged: Offline now, the call goes on, what was pending is dropped', () => {
    const { next, events } = run(onCallWithLunch(), cmd.forceEndShift('left without logging out'), 30);
    expect(next.shift).toBeNull();
    expect(next.status).toMatchObject({
      id: 'offline',
      cause: 'shift-end',
      actor: ACTORS.supervisor,
      reason: 'left without logging out',
    });
    expect(next.activities).toHaveLength(1);
    expect(next.upcoming).toBeNull();
    expect(eventOf(events, 'user.shift.ended').data).toMatchObject({ cause: 'shift-end', forced: true });
    expect(eventOf(events, 'user.shift.ended').actor).toEqual(ACTORS.supervisor);
  });

  it('ends the shift from a type that cannot end it', () => {
    const state = after([[cmd.select('on-break'), 10]], undefined, activeAt0());
    expect(refuse(state, cmd.endShift(), 20).code).toBe('CANNOT_END_SHIFT');
    expect(run(state, cmd.forceEndShift(), 20).next).toMatchObject({
      shift: null,
      status: { id: 'offline' },
    });
  });

  it('is refused without a shift', () => {
    expect(refuse(after([]), cmd.forceEndShift(), 10).code).toBe('NO_SHIFT');
  });

  it('never uses up a limit on Offline', () => {
    const catalog = catalogOf(statusType('offline', { limitPerShift: 0 }));
    expect(run(activeAt0(), cmd.forceEndShift(), 20, { catalog }).next.status.id).toBe('offline');
  });
});
