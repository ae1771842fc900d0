/** Offers (a ringing phone) and missed offers (ring-no-answer), through decide(). */
import { describe, expect, it } from 'vitest';
import type { Env } from './fixtures.js';
import { after, at, cmd, eventOf, expectNoop, run, types } from './fixtures.js';

const missed: Env = { config: { missedOffers: { threshold: 2, statusId: 'idle' }, wrapUpSeconds: 30 } };
/** Active from t=0 in a shift. */
const active = (env: Env = missed) => after([[cmd.startShift('active'), 0]], env);
/** Active, the phone ringing with offer o1 since t=10. */
const ringing = (env: Env = missed) => after([[cmd.offer('o1'), 10]], env, active(env));

describe('an offer (the phone rings)', () => {
  it('is on the state and announced, but engages nobody', () => {
    const { next, events } = run(active(), cmd.offer('o1'), 10, missed);
    expect(next.offers).toEqual([{ id: 'o1', source: 'freepbx:main', since: at(10) }]);
    expect(next.activities).toEqual([]);
    expect(eventOf(events, 'user.offer.started').data).toEqual({ offer: next.offers[0] });
  });

  it('lets a status picked while it rings apply at once', () => {
    const { next } = run(ringing(), cmd.select('on-break'), 12, missed);
    expect(next.status).toMatchObject({ id: 'on-break', since: at(12), cause: 'user' });
    expect(next.upcoming).toBeNull();
  });

  it('is idempotent on its id, also after it ended', () => {
    expectNoop(ringing(), cmd.offer('o1'), 11, missed);
    const ended = after([[cmd.endOffer('o1'), 15]], missed, ringing());
    expectNoop(ended, cmd.offer('o1'), 16, missed);
  });

  it('ends unanswered without a wrap-up, a span or any count', () => {
    const { next, events, timers } = run(ringing(), cmd.endOffer('o1'), 20, missed);
    expect(next.offers).toEqual([]);
    expect(next.wrapUp).toBeNull();
    expect(next.missedOffers.consecutive).toBe(0);
    expect(types(events)).toEqual(['user.offer.ended']);
    expect(eventOf(events, 'user.offer.ended').data).toMatchObject({ answered: false, endedAt: at(20) });
    expect(timers).toEqual([]);
  });

  it('ends answered, and the call that follows is the activity (with its wrap-up afterwards)', () => {
    const answered = after(
      [
        [cmd.endOffer('o1', true), 20],
        [cmd.begin('call-1'), 20],
      ],
      missed,
      ringing(),
    );
    expect(answered.offers).toEqual([]);
    expect(answered.activities.map((a) => [a.id, a.since])).toEqual([['call-1', at(20)]]);
    expect(run(answered, cmd.end('call-1'), 80, missed).next.wrapUp).toMatchObject({ since: at(80) });
  });

  it('keeps several ringing calls apart and drops the oldest beyond the limit', () => {
    let state = active();
    for (let i = 1; i <= 11; i++) state = run(state, cmd.offer(`o${i}`), i, missed).next;
    expect(state.offers.map((o) => o.id)).toEqual([
      'o2',
      'o3',
      'o4',
      'o5',
      'o6',
      'o7',
      'o8',
      'o9',
      'o10',
      'o11',
    ]);
  });
});

describe('missed offers', () => {
  it('count in a row and are announced with the count', () => {
    const { next, events } = run(ringing(), cmd.miss('o1'), 25, missed);
    expect(next.offers).toEqual([]);
    expect(next.missedOffers).toEqual({ consecutive: 1, recent: ['o1'] });
    expect(types(events)).toEqual(['user.offer.ended', 'user.offer.missed']);
    expect(eventOf(events, 'user.offer.missed').data).toEqual({
      offerId: 'o1',
      source: 'freepbx:main',
      consecutive: 1,
      threshold: 2,
    });
  });

  it('count once when reported twice, and also when reported after the ringing stopped', () => {
    const once = after([[cmd.miss('o1'), 25]], missed, ringing());
    expectNoop(once, cmd.miss('o1'), 26, missed);
    const late = after(
      [
        [cmd.endOffer('o1'), 20],
        [cmd.miss('o1'), 21],
      ],
      missed,
      ringing(),
    );
    expect(late.missedOffers.consecutive).toBe(1);
  });

  it('move the user to the configured status after the threshold (cause missed-offer) and count again', () => {
    const state = after(
      [
        [cmd.miss('o1'), 25],
        [cmd.offer('o2'), 40],
      ],
      missed,
      ringing(),
    );
    const { next, events } = run(state, cmd.miss('o2'), 60, missed);
    expect(next.status).toMatchObject({ id: 'idle', since: at(60), cause: 'missed-offer' });
    expect(next.missedOffers.consecutive).toBe(0);
    expect(types(events)).toEqual(['user.offer.ended', 'user.offer.missed', 'user.status.changed']);
    expect(eventOf(events, 'user.status.changed').data).toMatchObject({
      from: 'active',
      cause: 'missed-offer',
    });
    // A system move: it does not use up a per-shift entry of the target type.
    expect(next.shift?.usage.idle).toBeUndefined();
  });

  it('are off by default: counted and announced, nobody is moved', () => {
    const env: Env = { config: { missedOffers: null } };
    const state = after(
      [
        [cmd.miss('o1'), 20],
        [cmd.miss('o2'), 30],
        [cmd.miss('o3'), 40],
      ],
      env,
      active(env),
    );
    expect(state.status.id).toBe('active');
    expect(state.missedOffers.consecutive).toBe(3);
  });

  it('start again after an answered offer, even one whose ringing was not seen', () => {
    const one = after([[cmd.miss('o1'), 25]], missed, ringing());
    expect(run(one, cmd.endOffer('o9', true), 30, missed).next.missedOffers.consecutive).toBe(0);
    expectNoop(active(), cmd.endOffer('o9', true), 30, missed); // nothing to reset, nothing ringing
  });

  it('start again when the user (or a supervisor, or the phone) picks a status, even the current one', () => {
    const one = after([[cmd.miss('o1'), 25]], missed, ringing());
    for (const actor of ['user', 'supervisor', 'integration', 'pbx'] as const) {
      const { next, changed } = run(one, cmd.select('active', actor), 30, missed);
      expect(changed).toBe(true);
      expect(next.missedOffers.consecutive).toBe(0);
    }
    expect(run(one, cmd.select('active', 'system'), 30, missed).changed).toBe(false);
  });

  it('do not count on a break, during a call or during wrap-up', () => {
    const onBreak = after([[cmd.select('on-break'), 5]], missed, active());
    expect(run(onBreak, cmd.miss('o1'), 20, missed).next.missedOffers.consecutive).toBe(0);
    const onCall = after([[cmd.begin('c1'), 5]], missed, active());
    const duringCall = run(onCall, cmd.miss('o1'), 20, missed);
    expect(duringCall.next.missedOffers.consecutive).toBe(0);
    expect(types(duringCall.events)).not.toContain('user.offer.missed');
    const inWrapUp = after([[cmd.end('c1'), 10]], missed, onCall);
    expect(run(inWrapUp, cmd.miss('o1'), 20, missed).next.missedOffers.consecutive).toBe(0);
  });

  it('do not move the user when the target type is gone (the count goes on)', () => {
    const ghost: Env = { config: { missedOffers: { threshold: 1, statusId: 'ghost' } } };
    const { next } = run(active(ghost), cmd.miss('o1'), 20, ghost);
    expect(next.status.id).toBe('active');
    expect(next.missedOffers.consecutive).toBe(1);
  });

  it('move a user whose target type has a per-shift limit that is used up', () => {
    const env: Env = { config: { missedOffers: { threshold: 1, statusId: 'training' } } };
    const used = after(
      [
        [cmd.select('training'), 5],
        [cmd.select('active'), 10],
      ],
      env,
      active(env),
    );
    expect(run(used, cmd.miss('o1'), 20, env).next.status).toMatchObject({
      id: 'training',
      cause: 'missed-offer',
    });
  });

  it('start again with a new shift', () => {
    const env: Env = { config: { missedOffers: { threshold: 3, statusId: 'idle' } } };
    const state = after(
      [
        [cmd.miss('o1'), 20],
        [cmd.endShift(), 30],
        [cmd.startShift('active'), 40],
      ],
      env,
      active(env),
    );
    expect(state.missedOffers.consecutive).toBe(0);
  });
});
