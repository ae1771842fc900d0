/**
 * What the sync worker remembers of its own recent pushes (echo recognition without Redis reads): per connection and
 * extension, forgotten on a failed push and per connection (lease changes), and gone after two windows. Pure.
 */
import { describe, expect, it } from 'vitest';
import type { DesiredSettings } from '../../src/adapters/pbx.js';
import { RecentPushes } from '../../src/bridge/sync/recent-pushes.js';

const settings = (statusId: string): DesiredSettings => ({
  statusId,
  statusName: statusId,
  presence: { freepbx: { dnd: true, presence: 'away' }, '3cx': { profile: 'Away' } },
  queues: { loggedIn: false, mode: 'pause', reason: statusId },
  ringMyMobile: false,
  externalCalls: true,
});

describe('RecentPushes', () => {
  it('keeps the last push per connection and extension until it fails or the connection changes hands', () => {
    const recent = new RecentPushes(1000, () => 0);
    recent.record('main', '1001', { userId: 'u1', pushed: settings('a') });
    recent.record('main', '1001', { userId: 'u1', pushed: settings('b') });
    recent.record('other', '1001', { userId: 'u9', pushed: settings('c') });
    recent.record('main', '1002', { userId: 'u2', pushed: settings('d') });
    expect(recent.get('main', '1001')?.pushed.statusId).toBe('b');
    expect(recent.get('other', '1001')?.userId).toBe('u9');

    recent.forget('main', '1001');
    expect(recent.get('main', '1001')).toBeUndefined();
    recent.forgetConnection('main');
    expect(recent.get('main', '1002')).toBeUndefined();
    expect(recent.get('other', '1001')?.pushed.statusId).toBe('c');
  });

  it('forgets a push after one to two windows', () => {
    let now = 0;
    const recent = new RecentPushes(1000, () => now);
    recent.record('main', '1001', { userId: 'u1', pushed: settings('a') });
    now = 1500; // the next generation: still known
    expect(recent.get('main', '1001')?.pushed.statusId).toBe('a');
    now = 2600;
    expect(recent.get('main', '1001')).toBeUndefined();

    recent.record('main', '1002', { userId: 'u2', pushed: settings('b') });
    now = 10_000; // long idle: nothing survives
    expect(recent.get('main', '1002')).toBeUndefined();
  });
});
