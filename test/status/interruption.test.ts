/**
 * Phone-side interruptions: a PBX selection remembers the status it replaced, so "DND off" goes back to the status
 * "DND on" interrupted; the memory is forgotten as soon as the interrupting status is left.
 */
import { describe, expect, it } from 'vitest';
import { after, cmd, expectNoop, run, types } from './fixtures.js';

const inShift = () => after([[cmd.startShift('active'), 0]]);

describe('resumeInterrupted', () => {
  it('goes back to the status a PBX selection interrupted (DND on → On Break, DND off → Active)', () => {
    const onBreak = run(inShift(), cmd.select('on-break', 'pbx'), 10).next;
    expect(onBreak.interrupted).toEqual({ statusId: 'active', by: 'on-break' });
    const { next, events } = run(onBreak, cmd.resume(), 20);
    expect(next.status).toMatchObject({ id: 'active', cause: 'pbx' });
    expect(next.interrupted).toBeNull();
    expect(types(events)).toEqual(['user.status.changed']);
  });

  it('goes back to a custom status too (Lunch interrupted, not Active)', () => {
    const lunch = run(inShift(), cmd.select('lunch'), 5).next;
    const onBreak = run(lunch, cmd.select('on-break', 'pbx'), 10).next;
    expect(run(onBreak, cmd.resume(), 20).next.status.id).toBe('lunch');
  });

  it('is a no-op when no phone-side change interrupted anything (the bridge then reverts visibly)', () => {
    const state = run(inShift(), cmd.select('on-break'), 10).next; // chosen through the API, not the phone
    expect(state.interrupted ?? null).toBeNull();
    expectNoop(state, cmd.resume(), 20);
  });

  it('forgets the interruption once the interrupting status is left', () => {
    const onBreak = run(inShift(), cmd.select('on-break', 'pbx'), 10).next;
    const idle = run(onBreak, cmd.select('idle'), 15).next;
    expect(idle.interrupted).toBeNull();
    const again = run(idle, cmd.select('on-break'), 20).next; // the agent's own break
    expectNoop(again, cmd.resume(), 30);
  });

  it('while engaged: the interruption waits as upcoming, and resuming cancels it', () => {
    const onCall = run(inShift(), cmd.begin('c1'), 5).next;
    const pending = run(onCall, cmd.select('on-break', 'pbx'), 10).next;
    expect(pending.upcoming?.id).toBe('on-break');
    expect(pending.interrupted).toEqual({ statusId: 'active', by: 'on-break' });
    const { next } = run(pending, cmd.resume(), 20);
    expect(next).toMatchObject({ status: { id: 'active' }, upcoming: null, interrupted: null });
  });

  it('survives the deferred application of the interrupting status', () => {
    const onCall = run(inShift(), cmd.begin('c1'), 5).next;
    const pending = run(onCall, cmd.select('on-break', 'pbx'), 10).next;
    const applied = run(pending, cmd.end('c1'), 15).next;
    expect(applied.status).toMatchObject({ id: 'on-break', cause: 'deferred' });
    expect(run(applied, cmd.resume(), 20).next.status.id).toBe('active');
  });

  it('a chain of phone-side changes goes back to the status before the first one', () => {
    const onBreak = run(inShift(), cmd.select('on-break', 'pbx'), 10).next;
    const idle = run(onBreak, cmd.select('idle', 'pbx'), 12).next;
    expect(idle.interrupted).toEqual({ statusId: 'active', by: 'idle' });
    expect(run(idle, cmd.resume(), 20).next.status.id).toBe('active');
  });

  it('a PBX selection of the current status interrupts nothing', () => {
    const state = run(inShift(), cmd.select('active', 'pbx'), 10);
    expect(state.changed).toBe(false);
  });
});
