/**
 * EventSession's ordering rules with a scripted feed and writer: what is held during replay, what the cursor gate
 * drops, how the cursor moves over hidden entries, and what happens to a client that stops reading.
 */
import { describe, expect, it } from 'vitest';
import type { EventFeed, HubSubscriber } from '../../src/bridge/events/event-hub.js';
import { EventSession, type StartPoint } from '../../src/bridge/events/event-session.js';
import { decodeCursor } from '../../src/bridge/events/sse-cursor.js';
import type { EventWriter } from '../../src/bridge/events/sse-writer.js';
import type { StreamEntry } from '../../src/bridge/events/stream-entry.js';
import type { IndexRef, StreamInfo, StreamReader } from '../../src/bridge/events/stream-log.js';
import { compareStreamIds } from '../../src/bridge/events/stream-id.js';
import { waitFor } from '../harness/wait.js';

const entry = (partition: number, id: string, userId = 'u1'): StreamEntry => ({
  partition,
  id,
  type: 'user.status.changed',
  userId,
  data: { at: '2024-01-01T00:00:00.000Z', n: `${partition}/${id}` },
});

/** A feed over in-memory streams; `duringRange` runs inside the first replay read (to race it). */
class FakeFeed implements EventFeed, StreamReader {
  subscriber: HubSubscriber | undefined;
  duringRange: (() => void) | undefined;
  readonly partitions = 2;
  constructor(
    private readonly streams: StreamEntry[][],
    private readonly position: string[],
  ) {}
  get log(): StreamReader {
    return this;
  }
  subscribe(subscriber: HubSubscriber) {
    this.subscriber = subscriber;
    return { position: this.position, unsubscribe: () => (this.subscriber = undefined) };
  }
  async range(partition: number, after: string, upto: string, count: number): Promise<StreamEntry[]> {
    const run = this.duringRange;
    this.duringRange = undefined;
    run?.();
    return (this.streams[partition] ?? [])
      .filter((e) => compareStreamIds(e.id, after) > 0 && compareStreamIds(e.id, upto) <= 0)
      .slice(0, count);
  }
  async infoAll(): Promise<Array<StreamInfo | null>> {
    return this.streams.map(info);
  }
  /** u1 lives in partition 0, everyone else in partition 1. */
  partitionOf(userId: string): number {
    return userId === 'u1' ? 0 : 1;
  }
  readonly indexReads: IndexRef[] = [];
  private indexed(index: IndexRef): StreamEntry[] {
    return (this.streams[index.partition] ?? []).filter((e) =>
      index.userId === null ? e.userId === '' : e.userId === index.userId,
    );
  }
  async indexRange(index: IndexRef, after: string, upto: string, count: number): Promise<StreamEntry[]> {
    this.indexReads.push(index);
    return this.indexed(index)
      .filter((e) => compareStreamIds(e.id, after) > 0 && compareStreamIds(e.id, upto) <= 0)
      .slice(0, count);
  }
  async indexLast(index: IndexRef, upto: string): Promise<string | null> {
    return (
      this.indexed(index)
        .filter((e) => compareStreamIds(e.id, upto) <= 0)
        .pop()?.id ?? null
    );
  }
  live(...entries: StreamEntry[]): void {
    this.subscriber?.onEntries(entries);
  }
}

function info(s: StreamEntry[]): StreamInfo {
  return {
    length: s.length,
    firstId: s[0]?.id ?? null,
    lastGeneratedId: s[s.length - 1]?.id ?? '0-0',
    entriesAdded: s.length,
  };
}

class FakeWriter implements EventWriter {
  readonly written: Array<{ type: string; n: unknown; id: string | undefined; reason?: unknown }> = [];
  backlog = 0;
  aborted = false;
  ended = false;
  whenClosed = () => new Promise<void>(() => undefined);
  open(): void {}
  event(type: string, data: string, id?: string): boolean {
    const json = JSON.parse(data);
    this.written.push({ type, n: json.n, id, ...(json.reason ? { reason: json.reason } : {}) });
    return true;
  }
  comment(): void {}
  drained = async (): Promise<void> => undefined;
  end = async () => void (this.ended = true);
  abort(): void {
    this.aborted = true;
  }
}

const OPTIONS = {
  heartbeatMs: 60_000,
  retryMs: 1000,
  maxBacklogBytes: 100,
  replayPageSize: 2,
  maxHeldBytes: 100_000,
  drainTimeoutMs: 60_000,
  replayTimeoutMs: 60_000,
};

async function start(feed: FakeFeed, at: StartPoint, filter = (_e: StreamEntry) => true) {
  const out = new FakeWriter();
  const session = new EventSession(feed, out, filter, OPTIONS, { warn: () => undefined });
  await session.run(at);
  return { out, session };
}

/** A client that stops reading: every write reports a full socket and nothing ever drains. */
class StalledWriter extends FakeWriter {
  override event(type: string, data: string, id?: string): boolean {
    super.event(type, data, id);
    this.backlog += data.length;
    return false;
  }
  override drained = () => new Promise<void>(() => undefined);
}

describe('EventSession', () => {
  it('holds live entries during replay and sends them after the replayed ones', async () => {
    const streams = [[entry(0, '1-0'), entry(0, '2-0'), entry(0, '3-0')], [entry(1, '2-5')]];
    const feed = new FakeFeed(streams, ['3-0', '2-5']);
    feed.duringRange = () => feed.live(entry(0, '4-0'), entry(1, '3-0'));
    const { out, session } = await start(feed, { kind: 'resume', cursor: ['1-0', '0-0'] });
    expect(out.written.map((w) => w.n)).toEqual(['0/2-0', '1/2-5', '0/3-0', '0/4-0', '1/3-0']);
    await session.close();
  });

  it('drops live entries the cursor already covers (resumed on a daemon whose reader lags behind)', async () => {
    const stream = [entry(0, '3-0'), entry(0, '5-0'), entry(0, '6-0')];
    const feed = new FakeFeed([stream, []], ['2-0', '0-0']);
    const { out, session } = await start(feed, { kind: 'resume', cursor: ['5-0', '0-0'] });
    feed.live(entry(0, '3-0'), entry(0, '5-0'), entry(0, '6-0'), entry(0, '6-0'));
    expect(out.written.map((w) => w.n)).toEqual(['0/6-0']);
    await session.close();
  });

  it('moves the cursor over entries the filter hides, so the next id skips them', async () => {
    const feed = new FakeFeed([[], []], ['0-0', '0-0']);
    const { out, session } = await start(feed, { kind: 'live' }, (e) => e.userId === 'u1');
    feed.live(entry(1, '7-0', 'u2'), entry(0, '8-0', 'u1'));
    expect(out.written).toHaveLength(1);
    expect(decodeCursor(out.written[0]?.id as string, 2)).toEqual(['8-0', '7-0']);
    await session.close();
  });

  it('cuts off a live client whose backlog passes the limit', async () => {
    const feed = new FakeFeed([[], []], ['0-0', '0-0']);
    const { out, session } = await start(feed, { kind: 'live' });
    feed.live(entry(0, '1-0'));
    expect(out.aborted).toBe(false);
    out.backlog = 101;
    feed.live(entry(0, '2-0'));
    expect(out.aborted).toBe(true);
    await session.close();
  });

  it('stops delivering and unsubscribes once closed', async () => {
    const feed = new FakeFeed([[], []], ['0-0', '0-0']);
    const { out, session } = await start(feed, { kind: 'live' });
    await session.close();
    expect(out.ended).toBe(true);
    expect(feed.subscriber).toBeUndefined();
  });
});

describe('EventSession bounds', () => {
  const quiet = { warn: () => undefined };

  it('cuts off a resuming client that stops reading, within the drain deadline, and says why', async () => {
    const stream = Array.from({ length: 10 }, (_, i) => entry(0, `${i + 1}-0`));
    const feed = new FakeFeed([stream, []], ['10-0', '0-0']);
    const out = new StalledWriter();
    const cutOffs: string[] = [];
    const session = new EventSession(
      feed,
      out,
      () => true,
      { ...OPTIONS, drainTimeoutMs: 30 },
      {
        log: quiet,
        onCutOff: (reason) => cutOffs.push(reason),
      },
    );
    const started = Date.now();
    await session.run({ kind: 'resume', cursor: ['0-0', '0-0'] });
    expect(out.aborted).toBe(true);
    expect(cutOffs).toEqual(['drain-timeout']);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Nothing more is held or written for it.
    feed.live(entry(0, '11-0'));
    expect(out.written).toHaveLength(1);
  });

  it('holds at most maxHeldBytes of live entries during a replay, and still delivers every entry once', async () => {
    const replayed = Array.from({ length: 4 }, (_, i) => entry(0, `${i + 1}-0`));
    const live = Array.from({ length: 200 }, (_, i) => entry(0, `${i + 5}-0`));
    const feed = new FakeFeed([[...replayed, ...live], []], ['4-0', '0-0']);
    let heldMax = 0;
    const out = new FakeWriter();
    const session = new EventSession(feed, out, () => true, { ...OPTIONS, maxHeldBytes: 2_000 }, quiet);
    feed.duringRange = () => {
      for (const e of live) {
        feed.live(e);
        heldMax = Math.max(heldMax, (session as unknown as { heldBytes: number }).heldBytes);
      }
    };
    await session.run({ kind: 'resume', cursor: ['0-0', '0-0'] });
    expect(heldMax).toBeLessThanOrEqual(2_000 + 1_000);
    expect(out.written.map((w) => w.n)).toEqual([...replayed, ...live].map((e) => `0/${e.id}`));
    feed.live(entry(0, '300-0'));
    expect(out.written.at(-1)?.n).toBe('0/300-0');
    await session.close();
  });

  it('cuts off a live client whose socket stays full past the drain deadline', async () => {
    const feed = new FakeFeed([[], []], ['0-0', '0-0']);
    const out = new StalledWriter();
    const cutOffs: string[] = [];
    const session = new EventSession(
      feed,
      out,
      () => true,
      { ...OPTIONS, maxBacklogBytes: 1_000_000, drainTimeoutMs: 30 },
      { log: quiet, onCutOff: (reason) => cutOffs.push(reason) },
    );
    await session.run({ kind: 'live' });
    feed.live(entry(0, '1-0'));
    await waitFor(() => out.aborted, { what: 'the cut-off' });
    expect(cutOffs).toEqual(['drain-timeout']);
  });

  it('gives an agent a cursor that moves only on what it sees, and resumes it from its indexes', async () => {
    const streams = [
      [entry(0, '1-0', 'u1'), entry(0, '2-0', 'other'), entry(0, '3-0', '')],
      [entry(1, '5-0', 'u2'), entry(1, '6-0', 'u2')],
    ];
    const feed = new FakeFeed(streams, ['3-0', '6-0']);
    const view = {
      filter: (e: StreamEntry) => e.userId === 'u1' || e.userId === '',
      indexes: [
        { partition: 0, userId: 'u1' },
        { partition: 0, userId: null },
      ],
    };
    const out = new FakeWriter();
    const session = new EventSession(feed, out, view, OPTIONS, quiet);
    await session.run({ kind: 'resume', cursor: ['0-0', '0-0'] });
    expect(out.written.map((w) => w.n)).toEqual(['0/1-0', '0/3-0']);
    // Only the agent's indexes were read, not partition 1 nor the other users of partition 0.
    expect(feed.indexReads.every((i) => i.partition === 0)).toBe(true);
    feed.live(entry(1, '7-0', 'u2'), entry(0, '8-0', 'other'), entry(0, '9-0', 'u1'));
    const ids = out.written.map((w) => decodeCursor(w.id as string, 2));
    // Partition 1 (other users only) never shows a time; partition 0 shows the agent's own events only.
    expect(ids).toEqual([
      ['1-0', '0-0'],
      ['3-0', '0-0'],
      ['9-0', '0-0'],
    ]);
    await session.close();
  });

  it("starts a live agent at its own newest entry, not at the partitions' newest", async () => {
    const streams = [[entry(0, '1-0', 'u1'), entry(0, '2-0', 'other')], [entry(1, '5-0', 'u2')]];
    const feed = new FakeFeed(streams, ['2-0', '5-0']);
    const view = { filter: (e: StreamEntry) => e.userId === 'u1', indexes: [{ partition: 0, userId: 'u1' }] };
    const out = new FakeWriter();
    const session = new EventSession(feed, out, view, OPTIONS, quiet);
    await session.run({ kind: 'live' });
    feed.live(entry(0, '10-0', 'u1'));
    expect(decodeCursor(out.written[0]?.id as string, 2)).toEqual(['10-0', '0-0']);
    await session.close();
  });

  it('answers a cursor from the future with cursor-invalid and then delivers from now', async () => {
    const feed = new FakeFeed([[entry(0, '1-0')], []], ['1-0', '0-0']);
    const { out, session } = await start(feed, { kind: 'resume', cursor: ['99999999-0', '0-0'] });
    expect(out.written[0]).toMatchObject({ type: 'resync-required', reason: 'cursor-invalid' });
    feed.live(entry(0, '2-0'));
    expect(out.written.map((w) => w.n)).toEqual([undefined, '0/2-0']);
    await session.close();
  });
});
