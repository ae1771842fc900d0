/**
 * The default pause reason (a type's name made safe and cut to 79 UTF-8 bytes) and the pause reason check count
 * bytes the way the PBX receives them: 1–4 bytes per character, a lone surrogate as U+FFFD (3 bytes).
 */
import { describe, expect, it } from 'vitest';
import { defaultPauseReason, isSafePauseReason } from '../../src/status/index.js';

const utf8 = (text: string): number => new TextEncoder().encode(text).length;

describe('pause reasons in bytes', () => {
  it('cuts the default reason at the last whole character within 79 bytes, for 1- to 4-byte characters', () => {
    for (const char of ['a', 'é', '会', '😀', '\ud800']) {
      const name = char.repeat(100);
      const reason = defaultPauseReason(name);
      expect(utf8(reason)).toBeLessThanOrEqual(79);
      expect(utf8(reason + char)).toBeGreaterThan(79);
      expect(name.startsWith(reason)).toBe(true);
      expect(defaultPauseReason(name)).toBe(reason); // the same answer when asked again
    }
    expect(defaultPauseReason('  Lunch;  break|now ')).toBe('Lunch break now');
  });

  it('accepts a reason of exactly 79 bytes and refuses one more', () => {
    const reason = 'Meeting room ' + '会'.repeat(22); // 13 + 66 = 79 bytes
    expect(isSafePauseReason(reason)).toBe(true);
    expect(isSafePauseReason(reason + 'x')).toBe(false);
    expect(isSafePauseReason('😀'.repeat(19) + 'abc')).toBe(true); // 76 + 3
    expect(isSafePauseReason('😀'.repeat(20))).toBe(false); // 80
  });
});
