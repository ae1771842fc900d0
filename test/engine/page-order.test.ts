/**
 * Pages of user ids are in byte order (what ZRANGEBYLEX and the cursors use), whichever comparison sorts them.
 */
import { describe, expect, it } from 'vitest';
import { pageOf } from '../../src/bridge/users/user-store.js';

describe('pageOf', () => {
  it('pages ASCII ids in byte order after the cursor (upper case before lower case, digits first)', () => {
    const ids = ['b', 'B', 'a:2', 'a:10', '9', 'a', 'A-1'];
    expect(pageOf([...ids], 3, undefined)).toEqual({ ids: ['9', 'A-1', 'B'], more: true });
    expect(pageOf([...ids], 3, 'B')).toEqual({ ids: ['a', 'a:10', 'a:2'], more: true });
    expect(pageOf([...ids], 10, 'a:2')).toEqual({ ids: ['b'], more: false });
  });

  it('keeps byte order for ids outside ASCII, where UTF-16 order differs (a character past the BMP)', () => {
    const emoji = '\u{1F600}'; // UTF-8 F0 9F 98 80; UTF-16 D83D DE00
    const halfwidth = '\uFF61'; // UTF-8 EF BD A1; UTF-16 FF61
    expect(pageOf([emoji, halfwidth, 'z'], 10, undefined).ids).toEqual(['z', halfwidth, emoji]);
    expect(pageOf([emoji, halfwidth, 'z'], 10, halfwidth).ids).toEqual([emoji]);
  });
});
