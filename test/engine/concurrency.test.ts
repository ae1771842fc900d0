/**
 * Many writers on one user at once, over real sockets (DESIGN.md principle 2: atomic commit, CAS on version,
 * bounded retries). Whatever the interleaving, every answer is a success or a clean 409, and the committed
 * sequence is gap-free: versions grow by one per change, each applied change has exactly one history span and one
 * status event, each change starts from the status the previous one left, and the indexes agree with the state.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';

interface UserBody {
  version: number;
  status: { id: string };
  mobile: string | null;
  queues: string[];
}

/** Entries of the user's partition stream (the outbox) after `afterId`, as {type, data}. */
async function outbox(d: TestDaemon, userId: string, afterId: string) {
  const parts = d.daemon.parts!;
  const redis = d.daemon.redis as Redis;
  const stream = parts.keys.events(parts.keys.partitionOf(userId));
  const entries = await redis.xrange(stream, `(${afterId}`, '+');
  return entries.flatMap(([, fields]) => {
    const field = (name: string) => fields[fields.indexOf(name) + 1]!;
    return field('user') === userId
      ? [{ type: field('type'), data: JSON.parse(field('data')) as Record<string, unknown> }]
      : [];
  });
}

async function lastStreamId(d: TestDaemon, userId: string): Promise<string> {
  const parts = d.daemon.parts!;
  const last = await (d.daemon.redis as Redis).xrevrange(
    parts.keys.events(parts.keys.partitionOf(userId)),
    '+',
    '-',
    'COUNT',
    1,
  );
  return last[0]?.[0] ?? '0-0';
}

describe('concurrent writes to one user', () => {
  let d: TestDaemon;

  beforeEach(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterEach(async () => d?.stop());

  const http = async (method: string, path: string, body?: unknown, key: string = KEYS.admin) => {
    const response = await fetch(d.url + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  it('50 concurrent status changes: all 200 or clean 409, versions contiguous, one span per change', async () => {
    expect((await http('POST', '/v1/status-types', { name: 'Meeting', color: '#336699' })).status).toBe(201);
    expect((await http('PUT', '/v1/users/u1', { displayName: 'Dana' })).status).toBe(201);
    expect((await http('POST', '/v1/users/u1/shift', {})).status).toBe(200);
    const start = (await http('GET', '/v1/users/u1')).body as UserBody;
    const spansBefore = (await d.daemon.parts!.store.history('u1', 10_000)).length;
    const streamFrom = await lastStreamId(d, 'u1');

    const CYCLE = ['on-break', 'idle', 'meeting', 'active'];
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http('PUT', '/v1/users/u1/status', { statusId: CYCLE[i % CYCLE.length] }, KEYS.agent),
      ),
    );

    // Every answer is a success or a clean, catalogued conflict; a success shows the user in the chosen status
    // (applied now, or it already was: the user is not engaged, so nothing is deferred).
    responses.forEach((r, i) => {
      if (r.status === 409)
        expect(r.body.error).toMatchObject({ code: 'VERSION_CONFLICT', message: expect.any(String) });
      else {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body).toMatchObject({
          applied: true,
          user: { status: { id: CYCLE[i % CYCLE.length] }, upcoming: null },
        });
      }
    });
    const ok = responses.filter((r) => r.status === 200);
    const conflicts = responses.length - ok.length;

    const final = (await http('GET', '/v1/users/u1')).body as UserBody;
    const applied = final.version - start.version;
    expect(applied).toBeGreaterThan(0);

    // Versions: each applied change answered with its own version, v0+1..vN without a gap, and no two answers claim
    // the same version for different statuses (a lost update would).
    const statusAt = new Map<number, string>();
    for (const r of ok) {
      const { version, status } = r.body.user as UserBody;
      expect(version).toBeGreaterThanOrEqual(start.version);
      expect(version).toBeLessThanOrEqual(final.version);
      if (statusAt.has(version)) expect(statusAt.get(version), `version ${version}`).toBe(status.id);
      statusAt.set(version, status.id);
    }
    const answered = [...statusAt.keys()].filter((v) => v > start.version).sort((a, b) => a - b);
    const expectedVersions = Array.from({ length: applied }, (_, i) => start.version + 1 + i);
    expect(answered).toEqual(expectedVersions);
    expect(statusAt.get(final.version)).toBe(final.status.id);

    // Outbox: exactly one status event per applied change, each leaving the status the previous one entered.
    const changes = (await outbox(d, 'u1', streamFrom)).filter((e) => e.type === 'user.status.changed');
    expect(changes).toHaveLength(applied);
    let current = start.status.id;
    for (const change of changes) {
      expect(change.data.from).toBe(current);
      expect(change.data.to).not.toBe(current);
      current = change.data.to as string;
    }
    expect(current).toBe(final.status.id);

    // History: exactly one new span per applied change, tiling time without gaps, in the same order.
    const spans = await d.daemon.parts!.store.history('u1', 10_000);
    const newSpans = spans.slice(0, spans.length - spansBefore).reverse();
    expect(newSpans).toHaveLength(applied);
    expect(newSpans.map((s) => s.statusId)).toEqual(changes.map((c) => c.data.from));
    for (let i = 1; i < newSpans.length; i++) expect(newSpans[i]!.from).toBe(newSpans[i - 1]!.to);
    const history = (await http('GET', '/v1/users/u1/history?limit=1000')).body.items;
    expect(history[0]).toMatchObject({ statusId: final.status.id, to: null, from: newSpans.at(-1)!.to });

    // Indexes: the user is in the set of its final status and no other.
    const parts = d.daemon.parts!;
    const p = parts.keys.partitionOf('u1');
    const redis = d.daemon.redis as Redis;
    for (const id of CYCLE) {
      expect(await redis.sismember(parts.keys.inStatus(p, id), 'u1'), id).toBe(
        id === final.status.id ? 1 : 0,
      );
    }
    const page = (await http('GET', `/v1/users?status=${final.status.id}`)).body.items;
    expect(page.map((u: { id: string }) => u.id)).toEqual(['u1']);

    // Shift usage counts every applied entry once.
    const entries = changes.reduce<Record<string, number>>((acc, c) => {
      const to = c.data.to as string;
      acc[to] = (acc[to] ?? 0) + 1;
      return acc;
    }, {});
    for (const id of CYCLE) {
      const before = (start as unknown as { shift: { usage: Record<string, number> } }).shift.usage[id] ?? 0;
      expect(
        (final as unknown as { shift: { usage: Record<string, number> } }).shift.usage[id] ?? 0,
        id,
      ).toBe(before + (entries[id] ?? 0));
    }

    console.log(
      `concurrency: ${responses.length} requests, ${applied} applied, ${ok.length - applied} no-op, ${conflicts} conflicts (409), ` +
        `versions ${start.version + 1}..${final.version} contiguous, spans ${newSpans.length}`,
    );
  });

  it('concurrent partial directory upserts never bring back a field another one changed', async () => {
    expect((await http('PUT', '/v1/users/u2', { displayName: 'Eve' })).status).toBe(201);
    const streamFrom = await lastStreamId(d, 'u2');
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        http(
          'PUT',
          '/v1/users/u2',
          i % 2 === 0
            ? { displayName: 'Eve', mobile: `+4910000${i}` }
            : { displayName: 'Eve', queues: [`q${i}`] },
          KEYS.integration,
        ),
      ),
    );
    for (const r of responses) {
      if (r.status === 409) expect(r.body.error.code).toBe('VERSION_CONFLICT');
      else expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    // In commit order: once a mobile (or a queue) was stored, no later commit may drop it again.
    const commits = (await outbox(d, 'u2', streamFrom)).filter((e) => e.type === 'user.directory.changed');
    expect(commits.length).toBeGreaterThan(1);
    let sawMobile = false;
    let sawQueues = false;
    commits.forEach((commit, i) => {
      const directory = commit.data.directory as { mobile: string | null; queues: string[] };
      if (sawMobile) expect(directory.mobile, `commit ${i} lost the mobile`).not.toBeNull();
      if (sawQueues) expect(directory.queues, `commit ${i} lost the queues`).not.toEqual([]);
      sawMobile ||= directory.mobile !== null;
      sawQueues ||= directory.queues.length > 0;
    });
    const final = (await http('GET', '/v1/users/u2')).body as UserBody;
    expect(final.mobile).not.toBeNull();
    expect(final.queues).not.toEqual([]);
    expect(final.version).toBe(1 + commits.length);
  });
});
