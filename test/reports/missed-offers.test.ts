/** The missed-offer figure: misses inside the half-open report window. */
import { describe, expect, it } from 'vitest';
import { missedOffersIn } from '../../src/bridge/reports/missed-offers.js';

describe('missed offers in a report window', () => {
  it('counts the misses at or after from and before to', () => {
    const window = { start: Date.parse('2024-03-02T00:00:00Z'), end: Date.parse('2024-03-03T00:00:00Z') };
    const records = [
      { at: '2024-03-01T23:59:59.999Z' },
      { at: '2024-03-02T00:00:00.000Z' },
      { at: '2024-03-02T12:00:00.000Z' },
      { at: '2024-03-03T00:00:00.000Z' },
    ];
    expect(missedOffersIn(records, window)).toBe(2);
    expect(missedOffersIn([], window)).toBe(0);
  });
});
