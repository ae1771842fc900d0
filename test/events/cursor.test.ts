/** Pure parts of the SSE layer: stream ids, the cursor format, the retention check, filters and payloads. */
import { describe, expect, it } from 'vitest';
import { eventFilter } from '../../src/bridge/events/event-filter.js';
import { publicPayload } from '../../src/bridge/events/public-events.js';
import { hasGap } from '../../src/bridge/events/retention.js';
import { decodeCursor, encodeCursor, isAhead } from '../../src/bridge/events/sse-cursor.js';
import type { StreamEntry } from '../../src/bridge/events/stream-entry.js';
import { compareStreamIds, compactStreamId, expandStreamId } from '../../src/bridge/events/stream-id.js';

describe('stream ids', () => {
  it('compare numerically, not as strings', () => {
    expect(compareStreamIds('999-0', '1000-0')).toBeLessThan(0);
    expect(compareStreamIds('5-10', '5-9')).toBeGreaterThan(0);
    expect(compareStreamIds('7-3', '7-3')).toBe(0);
  });

  it('round-trip through the compact base-36 form, omitting sequence 0', () => {
    expect(compactStreamId('1700000000000-0')).toBe((1700000000000).toString(36));
    expect(compactStreamId('1700000000000-35')).toBe(`${(1700000000000).toString(36)}-z`);
    expect(compactStreamId('0-0')).toBe('0');
    for (const id of ['0-0', '1-1', '1700000000000-0', '1700000000123-4567'])
      expect(expandStreamId(compactStreamId(id))).toBe(id);
    expect(expandStreamId('not valid!')).toBeNull();
  });
});

describe('cursor', () => {
  const cursor = ['1700000000000-0', '0-0', '1700000000500-2', '1699999999999-0'];

  it('encodes every partition and decodes back', () => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^v1:[0-9a-z-]+(\.[0-9a-z-]+){3}$/);
    expect(decodeCursor(text, 4)).toEqual(cursor);
  });

  it('rejects text that is not a cursor for this many partitions', () => {
    const text = encodeCursor(cursor);
    expect(decodeCursor(text, 8)).toBeNull();
    expect(decodeCursor(text.slice(3), 4)).toBeNull();
    expect(decodeCursor('v1:a.b.c.!', 4)).toBeNull();
    expect(decodeCursor('', 4)).toBeNull();
  });

  it('an entry is ahead only when its id is after the partition position', () => {
    expect(isAhead(cursor, 0, '1700000000000-1')).toBe(true);
    expect(isAhead(cursor, 0, '1700000000000-0')).toBe(false);
    expect(isAhead(cursor, 2, '1700000000400-0')).toBe(false);
  });
});

describe('retention', () => {
  const info = { length: 3, firstId: '100-0', lastGeneratedId: '300-0', entriesAdded: 3 };

  it('a cursor inside the retained window has no gap', () => {
    expect(hasGap('100-0', info)).toBe(false);
    expect(hasGap('300-0', info)).toBe(false);
  });

  it('the start of a never-trimmed stream has no gap; of a trimmed one it has', () => {
    expect(hasGap('0-0', info)).toBe(false);
    expect(hasGap('0-0', { ...info, entriesAdded: 10 })).toBe(true);
  });

  it('a cursor before the oldest retained entry, or beyond the newest ever, is a gap', () => {
    expect(hasGap('50-0', { ...info, entriesAdded: 10 })).toBe(true);
    expect(hasGap('400-0', info)).toBe(true);
  });

  it('a missing stream is a gap only for a cursor that had seen something in it', () => {
    expect(hasGap('0-0', null)).toBe(false);
    expect(hasGap('100-0', null)).toBe(true);
  });
});

describe('filters and payloads', () => {
  const entry = (type: string, userId: string): StreamEntry => ({
    partition: 0,
    id: '1-0',
    type,
    userId,
    data: { at: '2024-01-01T00:00:00.000Z', x: 1 },
  });

  it('an agent sees its own user and catalog changes, not other users or PBX links', () => {
    const agent = eventFilter({ name: 'a', role: 'agent', userId: 'u1' }, ['u2']);
    expect(agent(entry('user.status.changed', 'u1'))).toBe(true);
    expect(agent(entry('status-type.changed', ''))).toBe(true);
    expect(agent(entry('user.status.changed', 'u2'))).toBe(false);
    expect(agent(entry('pbx.connection.changed', ''))).toBe(false);
  });

  it('?users= passes events not about a user; internal types never pass', () => {
    const board = eventFilter({ name: 's', role: 'supervisor' }, ['u1']);
    expect(board(entry('pbx.connection.changed', ''))).toBe(true);
    expect(board(entry('user.status.changed', 'u2'))).toBe(false);
    const all = eventFilter({ name: 'i', role: 'integration' }, undefined);
    expect(all(entry('user.status.changed', 'u2'))).toBe(true);
    for (const internal of ['timer.requested', 'user.directory.changed', 'user.deleted'])
      expect(all(entry(internal, 'u1'))).toBe(false);
  });

  it('data is {type, userId, at, ...data} with userId null for events not about a user', () => {
    expect(JSON.parse(publicPayload(entry('status-type.changed', '')))).toEqual({
      type: 'status-type.changed',
      userId: null,
      at: '2024-01-01T00:00:00.000Z',
      x: 1,
    });
  });
});
