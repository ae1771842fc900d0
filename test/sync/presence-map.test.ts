/**
 * Phone-side facts against the presence map and the last push: which ones are our own echo, which ones select a
 * status, and the shipped defaults. Pure.
 */
import { describe, expect, it } from 'vitest';
import type { DesiredSettings } from '../../src/adapters/pbx.js';
import {
  DEFAULT_PRESENCE_MAP,
  isEcho,
  mappedStatus,
  RESUME_INTERRUPTED,
} from '../../src/bridge/sync/presence-map.js';
import { settingsOf } from '../../src/bridge/sync/revert-notices.js';

function pushed(queues: DesiredSettings['queues'], dnd = true): DesiredSettings {
  return {
    statusId: 'x',
    statusName: 'X',
    presence: { freepbx: { dnd, presence: 'away' }, '3cx': { profile: 'Away' } },
    queues,
    ringMyMobile: false,
    externalCalls: true,
  };
}
const onBreak = pushed({ loggedIn: false, mode: 'pause', reason: 'On Break' });
const offline = pushed({ loggedIn: false, mode: 'logout', reason: 'Offline' });
const active = pushed({ loggedIn: true, mode: 'pause', reason: 'Active' }, false);

describe('isEcho', () => {
  it.each([
    ['our pause with its reason', { queue: { paused: true, reason: 'On Break' } }, onBreak, true],
    [
      'a pause with another reason (*46, a supervisor)',
      { queue: { paused: true, reason: '' } },
      onBreak,
      false,
    ],
    [
      'our one-step paused login',
      { queue: { loggedIn: true, paused: true, reason: 'On Break' } },
      onBreak,
      true,
    ],
    [
      'our paused login on an Asterisk that ignores QueueAdd Reason',
      { queue: { loggedIn: true, paused: true, reason: '' } },
      onBreak,
      true,
    ],
    ['a static member we paused for logout', { queue: { paused: true, reason: 'Offline' } }, offline, true],
    ['our removal', { queue: { loggedIn: false } }, offline, true],
    ['a login on the phone while logged out', { queue: { loggedIn: true, paused: false } }, offline, false],
    ['our unpause', { queue: { paused: false } }, active, true],
    ['a pause on the phone while Active', { queue: { paused: true, reason: '' } }, active, false],
    ['DND as pushed', { dnd: true }, onBreak, true],
    ['DND the other way', { dnd: false }, onBreak, false],
  ] as const)('%s → %s', (_why, presence, wish, echo) => {
    expect(isEcho(presence, wish, 'freepbx')).toBe(echo);
  });

  it('on 3CX every status without queue login is LoggedOut (no pause)', () => {
    expect(isEcho({ queue: { loggedIn: false } }, onBreak, '3cx')).toBe(true);
    expect(isEcho({ queue: { loggedIn: true } }, onBreak, '3cx')).toBe(false);
    expect(isEcho({ presence: 'away' }, onBreak, '3cx')).toBe(true);
  });
});

describe('shipped presence maps', () => {
  it('FreePBX: DND on is On Break, DND off goes back to what it interrupted; the rest is unmapped', () => {
    const map = DEFAULT_PRESENCE_MAP;
    expect(mappedStatus({ dnd: true }, map)).toBe('on-break');
    expect(mappedStatus({ dnd: false }, map)).toBe(RESUME_INTERRUPTED);
    expect(mappedStatus({ presence: 'xa' }, map)).toBeNull();
    expect(mappedStatus({ presence: 'away' }, map)).toBeNull(); // FreePBX's lower-case states are not 3CX profiles
    expect(mappedStatus({ queue: { paused: true, reason: '' } }, map)).toBeNull();
  });

  it('3CX: Away and Out of office are On Break, Available goes back', () => {
    const map = DEFAULT_PRESENCE_MAP;
    expect(mappedStatus({ presence: 'Away' }, map)).toBe('on-break');
    expect(mappedStatus({ presence: 'Out of office' }, map)).toBe('on-break');
    expect(mappedStatus({ presence: 'Available' }, map)).toBe(RESUME_INTERRUPTED);
    expect(mappedStatus({ queue: { loggedIn: false } }, map)).toBeNull();
  });

  it('a revert names the settings its write-back touches', () => {
    expect(settingsOf({ dnd: false })).toEqual(['dnd']);
    expect(settingsOf({ presence: 'xa', queue: { paused: true } })).toEqual(['presence', 'queues']);
  });
});
