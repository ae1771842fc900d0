/**
 * Catching a reconnecting client up: every entry after its cursor up to the hub's position at subscription, from
 * every partition, read from Redis in pages and merged by stream id (so partitions interleave roughly in commit
 * time, and each partition stays in order). Entries after that position reach the client live from the hub.
 *
 * A scoped client (an agent) reads index streams instead (its user's own entries, and the catalog's), which hold
 * the same entries under the same ids: the cost of its resume is what it may see, not the whole retained outbox.
 */
import type { StreamEntry } from './stream-entry.js';
import { compareStreamIds } from './stream-id.js';
import type { IndexRef, StreamReader } from './stream-log.js';
import type { Cursor } from './sse-cursor.js';

type Fetch = (after: string, upto: string, count: number) => Promise<StreamEntry[]>;

/** One source's missed entries, a page at a time. */
class Pager {
  private page: StreamEntry[] = [];
  private done = false;

  constructor(
    private readonly fetchPage: Fetch,
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
    this.page = await this.fetchPage(this.after, this.upto, this.pageSize);
    this.done = this.page.length < this.pageSize;
    const last = this.page[this.page.length - 1];
    if (last) this.after = last.id;
  }
}

/**
 * Entries after `from` up to `upto` (inclusive) in every partition where `from` is behind `upto`; with `indexes`,
 * only the entries of those index streams (each read after its partition's cursor).
 */
export async function* missedEntries(
  log: StreamReader,
  from: Cursor,
  upto: Cursor,
  pageSize = 500,
  indexes?: readonly IndexRef[],
): AsyncGenerator<StreamEntry> {
  const behind = (p: number): boolean => {
    const start = from[p];
    const end = upto[p];
    return start !== undefined && end !== undefined && compareStreamIds(start, end) < 0;
  };
  const pagers = indexes
    ? indexes
        .filter((index) => behind(index.partition))
        .map(
          (index) =>
            new Pager(
              (after, end, count) => log.indexRange(index, after, end, count),
              from[index.partition] as string,
              upto[index.partition] as string,
              pageSize,
            ),
        )
    : upto.flatMap((end, p) =>
        behind(p)
          ? [
              new Pager(
                (after, until, count) => log.range(p, after, until, count),
                from[p] as string,
                end,
                pageSize,
              ),
            ]
          : [],
      );
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
