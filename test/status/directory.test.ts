import { describe, expect, it } from 'vitest';
import type { Directory } from '../../src/status/model.js';
import { ACTORS, DIRECTORY, USER, after, at, cmd, expectNoop, run } from './fixtures.js';

describe('upsertDirectory', () => {
  it('replaces the directory entry and emits user.directory.changed', () => {
    const directory: Directory = { ...DIRECTORY, displayName: 'Dana K.' };
    const { next, events } = run(after([]), cmd.directory(directory), 5);
    expect(next.directory).toEqual(directory);
    expect(events).toEqual([
      { type: 'user.directory.changed', userId: USER, at: at(5), actor: ACTORS.system, data: { directory } },
    ]);
  });

  it('is a no-op for an equal entry, whatever its key order', () => {
    const { wrapUpSeconds, queues, mobile, pbx, displayName } = DIRECTORY;
    expectNoop(after([]), cmd.directory({ wrapUpSeconds, queues: [...queues], mobile, pbx, displayName }), 5);
  });

  it.each<[string, Partial<Directory>]>([
    ['displayName', { displayName: 'Other' }],
    ['pbx removed', { pbx: null }],
    ['pbx connection', { pbx: { connection: 'hq', extension: '1001' } }],
    ['pbx extension', { pbx: { connection: 'main', extension: '2002' } }],
    ['mobile', { mobile: null }],
    ['queues', { queues: ['sales'] }],
    ['queue order', { queues: ['support', 'sales'] }],
    ['wrapUpSeconds', { wrapUpSeconds: 10 }],
  ])('sees a change of %s', (_, change) => {
    const base: Directory = { ...DIRECTORY, mobile: '+15550100', queues: ['sales', 'support'] };
    const state = after([[cmd.directory(base), 1]]);
    expect(run(state, cmd.directory({ ...base, ...change }), 5).changed).toBe(true);
  });
});
