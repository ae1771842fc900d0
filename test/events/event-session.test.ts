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
import type { StreamInfo, StreamReader } from '../../src/bridge/events/stream-log.js';
import { compareStreamIds } from '../../src/bridge/events/stream-id.js';

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
    return this.streams.map((s) => ({
      length: s.length,
      firstId: s[0]?.id ?? null,
      lastGeneratedId: s[s.length - 1]?.id ?? '0-0',
      entriesAdded: s.length,
    }));
  }
  live(...entries: StreamEntry[]): void {
    this.subscriber?.onEntries(entries);
  }
}

class FakeWriter implements EventWriter {
  readonly written: Array<{ type: string; n: unknown; id: string | undefined }> = [];
  backlog = 0;
  aborted = false;
  ended = false;
  whenClosed = () => new Promise<void>(() => undefined);
  open(): void {}
  event(type: string, data: string, id?: string): boolean {
    this.written.push({ type, n: JSON.parse(data).n, id });
    return true;
  }
  comment(): void {}
  drained = async () => undefined;
  end = async () => void (this.ended = true);
  abort(): void {
    this.aborted = true;
  }
}

const OPTIONS = { heartbeatMs: 60_000, retryMs: 1000, maxBacklogBytes: 100, replayPageSize: 2 };

async function start(feed: FakeFeed, at: StartPoint, filter = (_e: StreamEntry) => true) {
  const out = new FakeWriter();
  const session = new EventSession(feed, out, filter, OPTIONS, { warn: () => undefined });
  await session.run(at);
  return { out, session };
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
