/**
 * The durable timer set (issue 15; docs/architecture.md, "Dispatcher and timers"): the member codec, and Timers on a
 * real Redis with a stand-in UserService: a due timer is claimed and executed once, removed only after its command
 * succeeded and only while the claim is its own; a failed one is retried when its claim lease ends (counted); a
 * deleted user's timer and a refused command are dropped; a connection timer moves itself on; timers of the previous
 * version (outbox `timer.requested` entries, BullMQ delayed jobs) are taken over.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ApiError } from '../../src/bridge/errors.js';
import { createLogger } from '../../src/bridge/logger.js';
import { createMetrics } from '../../src/bridge/metrics.js';
import { Keys } from '../../src/bridge/redis/keys.js';
import { defineScripts, runScript } from '../../src/bridge/redis/scripts.js';
import { decodeTimer, encodeTimer, type Timer } from '../../src/bridge/timers/timer-member.js';
import { Timers } from '../../src/bridge/timers/timers.js';
import type { UserService } from '../../src/bridge/users/user-service.js';
import type { Command } from '../../src/status/index.js';
import { startTestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';

const T = '2026-03-02T08:00:00.000Z';
const LATER = '2026-03-02T22:00:00.123Z';

describe('timer member', () => {
  const timers: Timer[] = [
    { userId: 'u-1', kind: 'shift', command: { type: 'shiftAutoEnd', shiftId: `u-1@${T}` } },
    {
      userId: 'u-1',
      kind: 'offline',
      command: { type: 'shiftAutoEnd', shiftId: 'other', rescheduledAt: LATER },
    },
    { userId: 'a.b@c:d+e', kind: 'overage', command: { type: 'overageDue', statusId: 'on-break', since: T } },
    {
      userId: 'u-2',
      kind: 'overage',
      command: { type: 'overageDue', statusId: 'lunch', since: T, rescheduledAt: LATER },
    },
    { userId: 'u-3', kind: 'wrapup', command: { type: 'wrapUpElapsed', activityId: 'call-1', until: LATER } },
    { userId: 'u-3', kind: 'wrapup', command: { type: 'wrapUpElapsed', activityId: 'call-1' } },
    { userId: 'u-4', kind: 'conn', command: { type: 'connectionTimeout', lastSeen: T } },
    { userId: 'u-4', kind: 'conn', command: { type: 'connectionTimeout', lastSeen: T, rearmed: true } },
    { userId: 'u-5', kind: 'stale', command: { type: 'activityStale', activityId: 'x', since: T } },
    // Not what the compact form knows: a field with a space, a non-canonical time, a kind with another command.
    { userId: 'u-6', kind: 'wrapup', command: { type: 'wrapUpElapsed', activityId: 'a b' } },
    { userId: 'u-6', kind: 'conn', command: { type: 'connectionTimeout', lastSeen: '2026-03-02T08:00:00Z' } },
    { userId: 'u-6', kind: 'shift', command: { type: 'endWrapUp' } },
    { userId: 'u-7', kind: 'conn', command: { type: 'connectionTimeout', lastSeen: T, rearmed: false } },
  ];

  it('reads back exactly what was written, for every kind', () => {
    for (const timer of timers) expect(decodeTimer(encodeTimer(timer))).toStrictEqual(timer);
  });

  it('is the same for the same timer and differs for another command', () => {
    const members = timers.map(encodeTimer);
    expect(new Set(members).size).toBe(members.length);
    expect(encodeTimer(structuredClone(timers[0]!))).toBe(members[0]);
  });

  it('is short: a shift-end timer is the user id and a dozen characters', () => {
    const member = encodeTimer(timers[0]!);
    expect(member).toBe(`su-1 ~${Date.parse(T).toString(36)}`);
    expect(member.length).toBeLessThanOrEqual(16);
    expect(encodeTimer(timers[11]!)).toMatch(/^ju-6 \{/); // the JSON form
  });
});

describe('Timers on the timer set', () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  type Execute = (userId: string, command: Command) => Promise<unknown>;
  async function setup(
    execute: Execute,
    options: { claimLeaseMs?: number; sweepMs?: number; lastSeen?: () => string } = {},
  ) {
    const prefix = uniquePrefix('timer-set');
    const keys = new Keys(prefix, 2);
    const redis = new Redis(inject('redisUrl'));
    defineScripts(redis);
    cleanups.push(() => redis.disconnect());
    const executed: Array<{ userId: string; command: Command }> = [];
    const users = {
      execute: async (userId: string, command: Command) => {
        await execute(userId, command);
        executed.push({ userId, command });
      },
      // A connection timer fires a timeout after the newest lastSeen (here: what the test says it is).
      connectionDue: async (_userId: string, command: Extract<Command, { type: 'connectionTimeout' }>) => {
        const lastSeen = options.lastSeen?.() ?? command.lastSeen;
        const fireAt = Date.parse(lastSeen) + 90_000;
        const moved = { ...command, lastSeen };
        return fireAt > Date.now() ? { fireAt, command: moved } : { command: moved };
      },
    } as unknown as UserService;
    const metrics = createMetrics();
    const bull = {
      connection: {
        host: new URL(inject('redisUrl')).hostname,
        port: Number(new URL(inject('redisUrl')).port),
      },
      prefix: keys.bullPrefix(),
    };
    const timers = new Timers(redis, keys, users, metrics, createLogger('silent'), () => new Date(), bull, {
      sweepMs: options.sweepMs ?? 50,
      claimLeaseMs: options.claimLeaseMs ?? 5_000,
    });
    cleanups.push(() => timers.stop());
    const setKey = (userId: string) => keys.timers(keys.partitionOf(userId));
    const add = (timer: Timer, dueMs: number) => redis.zadd(setKey(timer.userId), dueMs, encodeTimer(timer));
    const members = async () => {
      const all: string[] = [];
      for (const p of keys.allPartitions()) all.push(...(await redis.zrange(keys.timers(p), 0, -1)));
      return all;
    };
    return { keys, redis, timers, metrics, executed, add, members, setKey, bull };
  }

  const shiftEnd = (userId: string): Timer => ({
    userId,
    kind: 'shift',
    command: { type: 'shiftAutoEnd', shiftId: `${userId}@${T}` },
  });

  it('fires a due timer once, removes it after its command, and leaves one not due', async () => {
    const s = await setup(async () => undefined);
    await s.add(shiftEnd('u1'), Date.now() - 1_000);
    await s.add(shiftEnd('u2'), Date.now() + 3_600_000);
    s.timers.start();
    await waitFor(async () => (await s.members()).length === 1, { what: 'the due timer removed' });
    expect(s.executed).toEqual([{ userId: 'u1', command: shiftEnd('u1').command }]);
    expect(await s.members()).toEqual([encodeTimer(shiftEnd('u2'))]);
    expect(await s.timers.counts()).toMatchObject({ delayed: 1, waiting: 0, active: 0 });
    await s.timers.promoteAll(); // fires the one not due yet, and resolves once it is handled
    expect(s.executed.map((e) => e.userId)).toEqual(['u1', 'u2']);
    expect(await s.members()).toEqual([]);
  });

  it('wakes at a committed due time without waiting for a sweep', async () => {
    const s = await setup(async () => undefined, { sweepMs: 60_000 });
    s.timers.start(); // its first sweep finds nothing; the next would be a minute later
    const due = Date.now() + 300;
    await s.add(shiftEnd('u1'), due);
    s.timers.noteDue([due]);
    await waitFor(async () => s.executed.length === 1, { timeoutMs: 1_500, what: 'fired at its due time' });
    expect(Date.now()).toBeGreaterThanOrEqual(due);
  });

  it('retries a timer whose command failed when its claim lease ends, and counts it', async () => {
    let failures = 2;
    const s = await setup(
      async () => {
        if (failures-- > 0) throw new Error('Connection is closed.');
      },
      { claimLeaseMs: 200 },
    );
    await s.add(shiftEnd('u1'), Date.now() - 1);
    s.timers.start();
    await waitFor(async () => s.executed.length === 1, { what: 'executed after two failures' });
    expect((await s.metrics.timerRetries.get()).values[0]?.value).toBe(2);
    await waitFor(async () => (await s.members()).length === 0, { what: 'removed once it succeeded' });
  });

  it('drops a deleted user’s timer and a refused command; a claimed member re-requested meanwhile stays', async () => {
    const s = await setup(async (userId) => {
      if (userId === 'gone') throw new ApiError('USER_NOT_FOUND', 'no user');
      if (userId === 'refused') throw new ApiError('NO_SHIFT', 'no shift');
    });
    await s.add(shiftEnd('gone'), Date.now() - 1);
    await s.add(shiftEnd('refused'), Date.now() - 1);
    s.timers.start();
    await waitFor(async () => (await s.members()).length === 0, { what: 'both dropped' });
    expect((await s.metrics.timerDropped.get()).values[0]?.value).toBe(1);

    // A claim no longer the member's (a commit requested the same timer again, due later) does not remove it.
    const member = encodeTimer(shiftEnd('u1'));
    const key = s.setKey('u1');
    await s.add(shiftEnd('u1'), Date.now() - 1);
    const [lease] = (await runScript(
      s.redis,
      'claimTimers',
      [key],
      [Date.now(), 60_000, 10, ''],
    )) as string[];
    const again = Date.now() + 3_600_000;
    await s.redis.zadd(key, again, member);
    expect(await runScript(s.redis, 'finishTimer', [key], [member, lease!, 'done'])).toBe(0);
    expect(Number(await s.redis.zscore(key, member))).toBe(again);
  });

  it('another daemon does not claim a timer while its lease runs', async () => {
    const s = await setup(async () => undefined);
    const key = s.setKey('u1');
    await s.add(shiftEnd('u1'), Date.now() - 1);
    const first = (await runScript(s.redis, 'claimTimers', [key], [Date.now(), 60_000, 10, ''])) as string[];
    expect(first.slice(2, 3)).toEqual([encodeTimer(shiftEnd('u1'))]);
    const second = (await runScript(s.redis, 'claimTimers', [key], [Date.now(), 60_000, 10, ''])) as string[];
    expect(second.slice(2)).toEqual([]);
    const afterLease = (await runScript(
      s.redis,
      'claimTimers',
      [key],
      [Date.now() + 61_000, 60_000, 10, ''],
    )) as string[];
    expect(afterLease.slice(2, 3)).toEqual([encodeTimer(shiftEnd('u1'))]);
  });

  it('moves a connection timer on, as one member, while heartbeats keep coming', async () => {
    const live = new Date(Date.now() - 30_000).toISOString();
    const s = await setup(async () => undefined, { lastSeen: () => live });
    const old: Timer = {
      userId: 'u1',
      kind: 'conn',
      command: { type: 'connectionTimeout', lastSeen: new Date(Date.now() - 120_000).toISOString() },
    };
    await s.add(old, Date.now() - 30_000);
    s.timers.start();
    const moved: Timer = { ...old, command: { type: 'connectionTimeout', lastSeen: live } };
    await waitFor(async () => (await s.members())[0] === encodeTimer(moved), { what: 'moved on' });
    expect(s.executed).toEqual([]);
    expect(await s.members()).toHaveLength(1);
    expect(Number(await s.redis.zscore(s.setKey('u1'), encodeTimer(moved)))).toBe(Date.parse(live) + 90_000);
  });

  it('schedules timer requests of the previous version: outbox entries and BullMQ delayed jobs', async () => {
    const s = await setup(async () => undefined);
    const due = new Date(Date.now() + 3_600_000).toISOString();
    const queue = new Queue('timers', s.bull);
    cleanups.push(() => queue.close());
    const command = shiftEnd('u-job').command;
    await queue.add(
      'shiftAutoEnd',
      { userId: 'u-job', dueAt: due, command },
      {
        jobId: `shift~u-job@${Date.parse(due)}@abc`,
        delay: 3_600_000,
      },
    );
    s.timers.start();
    await waitFor(async () => (await s.members()).includes(encodeTimer(shiftEnd('u-job'))), {
      what: 'the BullMQ job moved into the set',
    });
    expect(await queue.getJobCounts('delayed', 'waiting')).toEqual({ delayed: 0, waiting: 0 });

    const entry = {
      partition: 0,
      id: '1-0',
      type: 'timer.requested',
      userId: 'u-entry',
      data: { at: T, key: 'shift:u-entry', dueAt: due, command: shiftEnd('u-entry').command },
    };
    await s.timers.onOutboxEntry(entry);
    const member = encodeTimer(shiftEnd('u-entry'));
    expect(Number(await s.redis.zscore(s.setKey('u-entry'), member))).toBe(Date.parse(due));
    // Handled twice (a redelivered entry), or an unreadable one: nothing more.
    await s.timers.onOutboxEntry(entry);
    await s.timers.onOutboxEntry({ partition: 0, id: '2-0', type: 'timer.requested', userId: 'x', data: {} });
    expect((await s.members()).sort()).toEqual([encodeTimer(shiftEnd('u-job')), member].sort());
  });
});

describe('the commit schedules its timers', () => {
  it('in the partition’s timer set, due at the shift’s end, with no timer request in the stream', async () => {
    const prefix = uniquePrefix('timer-commit');
    const d = await startTestDaemon({ redisUrl: inject('redisUrl'), prefix });
    try {
      await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
      const started = (await d.request('agent', 'POST', '/v1/users/u1/shift', {})).body;
      const keys = d.daemon.parts!.keys;
      const p = keys.partitionOf('u1');
      const redis = d.daemon.redis!;
      const members = await redis.zrange(keys.timers(p), 0, -1, 'WITHSCORES');
      const shiftId = String(started.user?.shift?.id ?? started.shift?.id);
      const member = encodeTimer({ userId: 'u1', kind: 'shift', command: { type: 'shiftAutoEnd', shiftId } });
      expect(members[0]).toBe(member);
      expect(Number(members[1])).toBeGreaterThan(Date.now() + 3_600_000);
      const types = (await redis.xrange(keys.events(p), '-', '+')).map(([, f]) => f[1]);
      expect(types).toContain('user.shift.started');
      expect(types).not.toContain('timer.requested');
    } finally {
      await d.stop();
    }
  });
});
