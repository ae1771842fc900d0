/**
 * The long per-user timers (shift ends, stale activities) are members of one sorted set per partition, not BullMQ
 * jobs (timers/timer-set.ts). They must keep the jobs' guarantees: durable across a restart, fired again when the
 * daemon that claimed one died before it committed, and jobs an older version left in BullMQ still fire.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Keys } from '../../src/bridge/redis/keys.js';
import { defineScripts } from '../../src/bridge/redis/scripts.js';
import { decodeTimer, TimerSet } from '../../src/bridge/timers/timer-set.js';
import { TIMER_QUEUE } from '../../src/bridge/timers/timers.js';
import { ManualClock } from '../harness/clock.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';

// No connection timer (no heartbeats are sent) and no offline end: the shift's maxHours timer is the only one.
const config = { status: { shift: { maxHours: 8, endAfterOfflineMinutes: null } } };

describe('long timers in the partition timer set', () => {
  const running: TestDaemon[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const d of running.splice(0).reverse()) await d.stop();
    for (const c of clients.splice(0)) c.disconnect();
  });

  const start = async (prefix: string, clock: ManualClock) => {
    const d = await startTestDaemon({ redisUrl: inject('redisUrl'), prefix, clock: clock.now, config });
    running.push(d);
    return d;
  };
  const stop = async (d: TestDaemon) => {
    running.splice(running.indexOf(d), 1);
    await d.stop();
  };
  const client = () => {
    const redis = new Redis(inject('redisUrl'));
    defineScripts(redis);
    clients.push(redis);
    return redis;
  };
  const keys = (prefix: string) => new Keys(prefix, 4); // the harness runs 4 partitions
  const members = async (redis: Redis, prefix: string, userId: string) =>
    redis.zrange(keys(prefix).timers(keys(prefix).partitionOf(userId)), 0, -1);
  const shiftOf = async (d: TestDaemon, userId: string) =>
    (await d.request('admin', 'GET', `/v1/users/${userId}`)).body.shift as { id: string } | null;

  it('a shift end is one member of the set (no BullMQ job); claimed by a daemon that died, it fires on the next', async () => {
    const prefix = uniquePrefix('timerset');
    const clock = new ManualClock();
    const redis = client();
    const first = await start(prefix, clock);
    await first.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    const shiftId = (await first.request('agent', 'POST', '/v1/users/u1/shift', {})).body.user.shift.id;
    const [member] = await waitFor(
      async () => {
        const found = await members(redis, prefix, 'u1');
        return found.length > 0 ? found : null;
      },
      { what: 'shift timer in the set' },
    );
    expect(decodeTimer(member!)).toMatchObject({
      userId: 'u1',
      key: 'shift:u1',
      dueAt: new Date(Date.parse(clock.iso()) + 8 * 3600_000).toISOString(),
      command: { type: 'shiftAutoEnd', shiftId },
    });
    expect(await redis.zcard(`${keys(prefix).bullPrefix()}:${TIMER_QUEUE}:delayed`)).toBe(0);
    await stop(first);

    // 8 hours pass with no daemon; a daemon claims the (now due) timer and dies before it commits.
    clock.advance(8 * 3600 + 1);
    const p = keys(prefix).partitionOf('u1');
    await redis.zadd(keys(prefix).timers(p), 'XX', Date.now(), member!);
    const set = new TimerSet(redis, keys(prefix));
    expect((await set.claim(p, Date.now(), 10, Date.now() + 1500)).map((t) => t.member)).toEqual([member]);

    const second = await start(prefix, clock);
    await waitFor(async () => (await shiftOf(second, 'u1')) === null, {
      timeoutMs: 10_000,
      what: 'the claimed timer fired once its claim ran out',
    });
    await waitFor(async () => (await members(redis, prefix, 'u1')).length === 0, {
      what: 'the fired timer removed',
    });
    const history = (await second.request('admin', 'GET', '/v1/users/u1/history')).body.items;
    expect(history[0]).toMatchObject({ statusId: 'offline', cause: 'shift-auto-end' });
  });

  it('a shiftAutoEnd job an older version left in BullMQ still fires', async () => {
    const prefix = uniquePrefix('timerset');
    const clock = new ManualClock();
    const redis = client();
    const d = await start(prefix, clock);
    await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
    const shiftId = (await d.request('agent', 'POST', '/v1/users/u1/shift', {})).body.user.shift.id;
    await waitFor(async () => (await members(redis, prefix, 'u1')).length > 0, {
      what: 'shift timer in the set',
    });
    // As an older version stored it: a BullMQ job, and no member in the set.
    await redis.del(keys(prefix).timers(keys(prefix).partitionOf('u1')));
    clock.advance(8 * 3600 + 1);
    const queue = new Queue(TIMER_QUEUE, { connection: client(), prefix: keys(prefix).bullPrefix() });
    try {
      const dueAt = new Date(Date.parse(clock.iso()) - 1000).toISOString();
      await queue.add('shiftAutoEnd', { userId: 'u1', dueAt, command: { type: 'shiftAutoEnd', shiftId } });
      await waitFor(async () => (await shiftOf(d, 'u1')) === null, { what: 'the BullMQ job fired' });
    } finally {
      await queue.close();
    }
  });
});
