/**
 * Catching a reconnecting client up: every entry after its cursor up to the hub's position at subscription, from
 * every partition, read from Redis in pages and merged by stream id (so partitions interleave roughly in commit
 * time, and each partition stays in order). Entries after that position reach the client live from the hub.
 */
import type { StreamEntry } from './stream-entry.js';
import { compareStreamIds } from './stream-id.js';
import type { StreamReader } from './stream-log.js';
import type { Cursor } from './sse-cursor.js';

/** One partition's missed entries, a page at a time. */
class PartitionPager {
  private page: StreamEntry[] = [];
  private done = false;

  constructor(
    private readonly log: StreamReader,
    private readonly partition: number,
    private after: string,
    private readonly upto: string,
    private readonly pageSize: number,
  ) {}

  async peek(): Promise<StreamEntry | undefined> {
    if (this.page.length === 0 && !this.done) await this.fetch();
    return this.page[0];
  }

  take(): void {
    this.page.shift();
  }

  private async fetch(): Promise<void> {
    this.page = await this.log.range(this.partition, this.after, this.upto, this.pageSize);
    this.done = this.page.length < this.pageSize;
    const last = this.page[this.page.length - 1];
    if (last) this.after = last.id;
  }
}

/** Entries after `from` up to `upto` (inclusive) in every partition where `from` is behind `upto`. */
export async function* missedEntries(
  log: StreamReader,
  from: Cursor,
  upto: Cursor,
  pageSize = 500,
): AsyncGenerator<StreamEntry> {
  const pagers = upto.flatMap((end, p) => {
    const start = from[p];
    return start !== undefined && compareStreamIds(start, end) < 0
      ? [new PartitionPager(log, p, start, end, pageSize)]
      : [];
  });
  for (;;) {
    const heads = await Promise.all(pagers.map((pager) => pager.peek()));
    const next = oldest(heads);
    if (next === -1) return;
    yield heads[next] as StreamEntry;
    pagers[next]?.take();
  }
}

function oldest(heads: Array<StreamEntry | undefined>): number {
  let best = -1;
  heads.forEach((head, i) => {
    const current = heads[best];
    if (head && (!current || compareStreamIds(head.id, current.id) < 0)) best = i;
  });
  return best;
}
