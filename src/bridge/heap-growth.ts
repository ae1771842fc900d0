/**
 * How far V8 lets the old generation grow past the live heap before the next full collection (issue 15, daemon
 * RSS). V8's own factor is up to 4× the live heap on a host with a large default heap limit (≥ 2 GiB): after the
 * 100,000-user creation burst a live heap of ~45 MiB sat in ~190 MiB of old space, so RSS was ~300 MiB. The daemon
 * promotes ~10 MiB/s of short-lived request state during such a burst, so the old space fills up to whatever limit
 * it is given; a fixed factor keeps it proportional to what is live instead of to the host's memory.
 *
 * `--heap-growing-percent` sets that factor and is read at every full collection, so it can be set from inside the
 * process (every launcher gets it: the bin, `npm start`, the Docker image, the systemd unit). Unlike a
 * `--max-old-space-size` cap it cannot make a larger installation run out of heap. A user who chose a heap setting
 * (in NODE_OPTIONS or on node's command line) keeps it: then the daemon sets nothing.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * Old space may grow to 2 × the live heap before a full collection. 50 (1.5×) saved another ~10 MiB but made the
 * full collections ~3× as frequent and cost daemon CPU per request; docs/performance.md has both measurements.
 */
export const HEAP_GROWING_PERCENT = 100;

/** Node and V8 flags that size or grow the heap; either spelling (`-` or `_`). */
const HEAP_FLAG =
  /(^|\s)--(max[-_]old[-_]space[-_]size(?:[-_]percentage)?|max[-_]heap[-_]size|heap[-_]growing[-_]percent|max[-_]semi[-_]space[-_]size|optimize[-_]for[-_]size)(=|\s|$)/;

/** The node flag the user chose for the heap, if any (from NODE_OPTIONS or node's own arguments). */
export function userHeapFlag(
  nodeOptions: string | undefined,
  execArgv: readonly string[],
): string | undefined {
  for (const source of [nodeOptions ?? '', ...execArgv]) {
    const found = HEAP_FLAG.exec(source);
    if (found) return `--${found[2]}`;
  }
  return undefined;
}

export type HeapGrowth = { applied: true; percent: number } | { applied: false; userFlag: string };

/** Sets the daemon's heap growth unless the user chose a heap setting. Call once, before the daemon starts. */
export function applyHeapGrowth(nodeOptions: string | undefined, execArgv: readonly string[]): HeapGrowth {
  const userFlag = userHeapFlag(nodeOptions, execArgv);
  if (userFlag) return { applied: false, userFlag };
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return { applied: true, percent: HEAP_GROWING_PERCENT };
}
