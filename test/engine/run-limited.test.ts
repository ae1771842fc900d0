/**
 * runLimited (timer sweeps, reconcile batches): at most `limit` calls in flight, items started in order, and a
 * failure neither stops the other items nor goes unreported.
 */
import { describe, expect, it } from 'vitest';
import { runLimited } from '../../src/bridge/run-limited.js';

describe('runLimited', () => {
  it('keeps at most `limit` calls in flight and starts the items in order', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const run = runLimited([0, 1, 2, 3, 4, 5, 6], 3, async (n) => {
      started.push(n);
      most = Math.max(most, ++inFlight);
      await new Promise<void>((resolve) => gates.push(resolve));
      inFlight--;
    });
    // Release the calls one at a time as they arrive: each release lets exactly one more start.
    while (started.length < 7 || gates.length > 0) {
      await Promise.resolve();
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await run;
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(3);
  });

  it('runs every item past a failure and then rejects with the first error', async () => {
    const done: number[] = [];
    const run = runLimited([1, 2, 3, 4], 2, async (n) => {
      if (n === 2) throw new Error('two');
      if (n === 3) throw new Error('three');
      done.push(n);
    });
    await expect(run).rejects.toThrow('two');
    expect(done.sort()).toEqual([1, 4]);
  });

  it('does nothing for no items', async () => {
    await expect(runLimited([], 4, async () => Promise.reject(new Error('never')))).resolves.toBeUndefined();
  });
});
