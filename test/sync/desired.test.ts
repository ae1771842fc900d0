/**
 * desiredSettings(): display follows the current status, routing (queues, DND) follows a non-routable upcoming one
 * at once, wrap-up pauses with its own reason, per-type queue handling and the deprecated global fallback. Pure.
 */
import { describe, expect, it } from 'vitest';
import { desiredSettings, type DesiredOptions } from '../../src/bridge/sync/desired.js';
import { unsupportedSettings } from '../../src/bridge/sync/unsupported.js';
import { FREEPBX_CAPABILITIES } from '../../src/adapters/freepbx/index.js';
import { threeCxCapabilities } from '../../src/adapters/3cx/index.js';
import { decide, newUserState, type Command, type UserState } from '../../src/status/index.js';
import { at, CATALOG, catalogOf, CONFIG, DIRECTORY, statusType, T0 } from '../status/fixtures.js';

const OPTIONS: DesiredOptions = { routeOnUpcoming: true, wrapUpPauseReason: 'Wrap-up' };

/** A state built through decide(), as the store would hold it. */
function stateAfter(steps: Array<[Command, number]>, wrapUpSeconds = 0): UserState {
  return steps.reduce(
    (s, [command, seconds]) => {
      const r = decide(s, command, {
        now: at(seconds),
        catalog: CATALOG,
        config: { ...CONFIG, wrapUpSeconds },
      });
      if (!r.ok) throw new Error(r.error.code);
      return r.next;
    },
    newUserState('u1', DIRECTORY, T0),
  );
}
const shift: [Command, number] = [{ type: 'startShift', statusId: 'active', actor: 'user' }, 0];
const call: [Command, number] = [
  { type: 'beginActivity', activity: { id: 'c1', kind: 'call', source: 'freepbx:main' } },
  10,
];
const hangUp: [Command, number] = [{ type: 'endActivity', activityId: 'c1' }, 40];
const pick = (statusId: string, seconds: number): [Command, number] => [
  { type: 'selectStatus', statusId, actor: 'user' },
  seconds,
];

describe('desiredSettings', () => {
  it('On Break: paused with reason "On Break", DND, presence away', () => {
    const d = desiredSettings(stateAfter([shift, pick('on-break', 5)]), CATALOG, OPTIONS, at(6));
    expect(d.queues).toEqual({ loggedIn: false, mode: 'pause', reason: 'On Break' });
    expect(d.presence.freepbx).toEqual({ dnd: true, presence: 'away' });
  });

  it('Offline logs out; a type that takes queue calls is logged in', () => {
    expect(desiredSettings(stateAfter([]), CATALOG, OPTIONS, at(1)).queues).toEqual({
      loggedIn: false,
      mode: 'logout',
      reason: 'Offline',
    });
    expect(desiredSettings(stateAfter([shift]), CATALOG, OPTIONS, at(1)).queues.loggedIn).toBe(true);
  });

  it('an upcoming status that takes no queue calls routes at once; its display waits until applied', () => {
    const state = stateAfter([shift, call, pick('on-break', 20)]);
    expect(state.upcoming?.id).toBe('on-break');
    const d = desiredSettings(state, CATALOG, OPTIONS, at(21));
    expect(d.statusId).toBe('active');
    expect(d.queues).toEqual({ loggedIn: false, mode: 'pause', reason: 'On Break' });
    expect(d.presence.freepbx).toEqual({ dnd: true, presence: 'available' }); // DND routes, presence shows
    expect(d.presence['3cx']).toEqual({ profile: 'Available' });
    // routeOnUpcoming off: nothing changes before the status is applied.
    const off = desiredSettings(state, CATALOG, { ...OPTIONS, routeOnUpcoming: false }, at(21));
    expect(off.queues.loggedIn).toBe(true);
    expect(off.presence.freepbx.dnd).toBe(false);
  });

  it('an upcoming status that takes queue calls never routes early', () => {
    const state = stateAfter([shift, pick('on-break', 2), call, pick('active', 20)]);
    const d = desiredSettings(state, CATALOG, OPTIONS, at(21));
    expect(d.queues).toMatchObject({ loggedIn: false, reason: 'On Break' });
    expect(d.presence.freepbx.dnd).toBe(true);
  });

  it('wrap-up pauses a member that would take calls with its own reason, until the wrap-up ends', () => {
    const state = stateAfter([shift, call, hangUp], 30);
    expect(state.wrapUp?.until).toBe(at(70));
    expect(desiredSettings(state, CATALOG, OPTIONS, at(41)).queues).toEqual({
      loggedIn: false,
      mode: 'pause',
      reason: 'Wrap-up',
    });
    expect(desiredSettings(state, CATALOG, OPTIONS, at(70)).queues.loggedIn).toBe(true); // time is up
    expect(
      desiredSettings(state, CATALOG, { ...OPTIONS, wrapUpPauseReason: null }, at(41)).queues.loggedIn,
    ).toBe(true);
  });

  it('during wrap-up with a break upcoming, the break routes (reason "On Break", not "Wrap-up")', () => {
    const state = stateAfter([shift, call, pick('on-break', 20), hangUp], 30);
    expect(state.upcoming?.id).toBe('on-break');
    expect(desiredSettings(state, CATALOG, OPTIONS, at(41)).queues.reason).toBe('On Break');
  });

  it('per-type queue handling and reason win; the deprecated global mode replaces only the defaults', () => {
    const catalog = catalogOf(
      statusType('meeting', {
        name: 'Meeting',
        callHandling: { ringMyMobile: false, queueLogin: false, externalCalls: false },
        pbxPresence: {
          freepbx: { dnd: true, presence: 'away', queues: 'logout', pauseReason: 'MTG' },
          '3cx': { profile: 'Away' },
        },
      }),
    );
    const state = (statusId: string) => ({
      ...stateAfter([shift]),
      status: { id: statusId, since: at(1), cause: 'user' as const },
    });
    expect(desiredSettings(state('meeting'), catalog, OPTIONS, at(2)).queues).toEqual({
      loggedIn: false,
      mode: 'logout',
      reason: 'MTG',
    });
    const legacy = { ...OPTIONS, queueModeFallback: 'logout' as const };
    expect(desiredSettings(state('on-break'), catalog, legacy, at(2)).queues.mode).toBe('logout');
    expect(
      desiredSettings(state('offline'), catalog, { ...OPTIONS, queueModeFallback: 'pause' }, at(2)).queues
        .mode,
    ).toBe('pause');
  });
});

describe('unsupportedSettings', () => {
  const paused = { loggedIn: false, mode: 'pause' as const, reason: 'On Break' };
  const desired = desiredSettings(stateAfter([shift, pick('on-break', 5)]), CATALOG, OPTIONS, at(6));

  it('FreePBX does everything', () => {
    expect(unsupportedSettings(FREEPBX_CAPABILITIES, { queues: ['400'] }, desired)).toEqual([]);
  });

  it('3CX: no pause (a logout instead), no reason, global login, external calls unmanaged unless enabled', () => {
    const caps = threeCxCapabilities({ externalCalls: { enabled: false } });
    expect(unsupportedSettings(caps, { queues: [] }, { ...desired, queues: paused })).toEqual([
      'queues.pause',
      'queues.pauseReason',
      'externalCalls',
    ]);
    const enabled = threeCxCapabilities({ externalCalls: { enabled: true } });
    expect(unsupportedSettings(enabled, { queues: ['800'] }, { ...desired, externalCalls: false })).toEqual([
      'queues.perQueue',
      'queues.pause',
      'queues.pauseReason',
      'externalCalls.inbound',
    ]);
    const active = desiredSettings(stateAfter([shift]), CATALOG, OPTIONS, at(1));
    expect(unsupportedSettings(enabled, { queues: [] }, active)).toEqual([]);
  });
});
