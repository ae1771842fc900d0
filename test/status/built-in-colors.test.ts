/**
 * The built-in status colours must be told apart at a glance on the board and in the report chart: every two
 * coloured built-ins differ in hue by at least 30° (Idle #F1C40F and On Break #F5A623 were 11° apart). Greys (Offline)
 * are told apart by having no hue.
 */
import { describe, expect, it } from 'vitest';
import { builtInStatusTypes } from '../../src/status/index.js';

function hueAndSaturation(hex: string): { hue: number; saturation: number } {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  const saturation = max === 0 ? 0 : d / max;
  if (d === 0) return { hue: 0, saturation };
  const hue = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return { hue: (hue * 60 + 360) % 360, saturation };
}

describe('built-in status colours', () => {
  it('differ in hue by at least 30° between any two coloured built-ins', () => {
    const coloured = builtInStatusTypes('2026-01-01T00:00:00.000Z')
      .map((t) => ({ id: t.id, ...hueAndSaturation(t.color) }))
      .filter((t) => t.saturation >= 0.25);
    expect(coloured.length).toBeGreaterThanOrEqual(3);
    const tooClose: string[] = [];
    for (const [i, a] of coloured.entries())
      for (const b of coloured.slice(i + 1)) {
        const apart = Math.min(Math.abs(a.hue - b.hue), 360 - Math.abs(a.hue - b.hue));
        if (apart < 30) tooClose.push(`${a.id}/${b.id}: ${Math.round(apart)}°`);
      }
    expect(tooClose).toEqual([]);
  });
});
