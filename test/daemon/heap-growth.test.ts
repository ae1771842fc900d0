/**
 * The daemon's V8 heap growth (src/bridge/heap-growth.ts): set from inside the process unless the user chose a heap
 * setting in NODE_OPTIONS or on node's command line. The effect on RSS is measured by the scale benchmark.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const setFlagsFromString = vi.fn();
vi.mock('node:v8', () => ({ setFlagsFromString }));
const { applyHeapGrowth, HEAP_GROWING_PERCENT, userHeapFlag } =
  await import('../../src/bridge/heap-growth.js');

beforeEach(() => setFlagsFromString.mockClear());

describe('heap growth', () => {
  it('sets --heap-growing-percent when nothing is chosen', () => {
    expect(applyHeapGrowth(undefined, [])).toEqual({ applied: true, percent: HEAP_GROWING_PERCENT });
    expect(applyHeapGrowth('--enable-source-maps --import=./x.mjs', ['--cpu-prof'])).toMatchObject({
      applied: true,
    });
    expect(setFlagsFromString.mock.calls).toEqual([
      [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`],
      [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`],
    ]);
  });

  it("leaves the user's heap setting alone (NODE_OPTIONS or node's arguments, either spelling)", () => {
    expect(applyHeapGrowth('--max-old-space-size=4096', [])).toEqual({
      applied: false,
      userFlag: '--max-old-space-size',
    });
    expect(applyHeapGrowth(undefined, ['--heap-growing-percent=100'])).toMatchObject({ applied: false });
    expect(applyHeapGrowth('--trace-warnings --max_semi_space_size=32', [])).toMatchObject({
      applied: false,
    });
    expect(applyHeapGrowth(undefined, ['--optimize-for-size'])).toMatchObject({ applied: false });
    expect(setFlagsFromString).not.toHaveBeenCalled();
  });

  it('does not mistake a longer flag name for a heap flag', () => {
    expect(userHeapFlag('--max-old-space --heap-growing', ['--max-semi-space-sizes=1'])).toBeUndefined();
    expect(userHeapFlag('--max-old-space-size-percentage=50', [])).toBe('--max-old-space-size-percentage');
  });
});
