/**
 * Long per-user timers (shift ends, stale activities: hours out, one per user) as members of one sorted set per
 * partition, scored by due time in ms, instead of one BullMQ job each (a job hash costs ~1 KiB; a member ~0.1 KiB).
 *
 * A member is the whole timer (kind, user, due time, command), so the same request added twice is one member and two
 * different requests never replace each other; a re-armed timer is a new member and the old one fires stale
 * (decide() makes it a no-op), as with the BullMQ jobs. Claiming a due member moves it on by the claim timeout
 * (claimTimers.lua) and it is removed only after its command committed: a daemon killed in between, or a Redis
 * that lost the removal, leaves it to fire again once the claim runs out. That is at-least-once, like BullMQ.
 */
import type { Redis } from 'ioredis';
import type { Command } from '../../status/index.js';
import { execGrouped } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

export interface SetTimer {
  /** The stored member, to remove or postpone it with. */
  member: string;
  userId: string;
  key: string;
  /** Due time on the clock of the daemon that asked for it. */
  dueAt: string;
  command: Command;
}

/** The command type of each kind kept in the set: left out of the member when it is that one. */
const KIND_COMMANDS: Readonly<Record<string, Command['type']>> = {
  shift: 'shiftAutoEnd',
  offline: 'shiftAutoEnd',
  stale: 'activityStale',
};

/**
 * `<kind>|<due ms, base 36>|["<user id>",<command without its type>]`: the fewest bytes that still name the whole
 * timer (a member of 64 B or less takes a smaller allocation; a shift end is ~75 B this way, ~105 B as plain JSON).
 */
export function encodeTimer(key: string, dueAt: string, command: Command): string {
  const kind = key.slice(0, key.indexOf(':'));
  const userId = key.slice(kind.length + 1);
  const { type, ...rest } = command;
  const body = KIND_COMMANDS[kind] === type ? rest : command;
  return `${kind}|${Date.parse(dueAt).toString(36)}|${JSON.stringify([userId, body])}`;
}

export function decodeTimer(member: string): SetTimer {
  const first = member.indexOf('|');
  const second = member.indexOf('|', first + 1);
  if (first < 0 || second < 0) throw new Error('not a timer');
  const kind = member.slice(0, first);
  const dueMs = parseInt(member.slice(first + 1, second), 36);
  const [userId, body] = JSON.parse(member.slice(second + 1)) as [string, Partial<Command>];
  const type = body.type ?? KIND_COMMANDS[kind];
  if (!type || !Number.isFinite(dueMs)) throw new Error('not a timer');
  return {
    member,
    userId,
    key: `${kind}:${userId}`,
    dueAt: new Date(dueMs).toISOString(),
    command: { ...body, type } as Command,
  };
}

export class TimerSet {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Idempotent: a member already there (waiting, or claimed right now) keeps its score. */
  async add(userId: string, key: string, dueAt: string, command: Command, fireAtMs: number): Promise<void> {
    const set = this.keys.timers(this.keys.partitionOf(userId));
    await this.redis.zadd(set, 'NX', fireAtMs, encodeTimer(key, dueAt, command));
  }

  /** Up to `limit` members of the partition due at `nowMs`, each claimed until `claimUntilMs`. */
  async claim(
    partition: number,
    nowMs: number | '+inf',
    limit: number,
    claimUntilMs: number,
  ): Promise<SetTimer[]> {
    const members = (await runScript(
      this.redis,
      'claimTimers',
      [this.keys.timers(partition)],
      [nowMs, limit, claimUntilMs],
    )) as string[];
    return members.flatMap((member) => {
      try {
        return [decodeTimer(member)];
      } catch {
        return []; // not ours to read: left alone (it will be claimed again, and skipped again)
      }
    });
  }

  async remove(timer: SetTimer): Promise<void> {
    await this.redis.zrem(this.keys.timers(this.keys.partitionOf(timer.userId)), timer.member);
  }

  /** Moves a claimed member to `atMs` (a retry); a member removed meanwhile stays removed. */
  async postpone(timer: SetTimer, atMs: number): Promise<void> {
    await this.redis.zadd(this.keys.timers(this.keys.partitionOf(timer.userId)), 'XX', atMs, timer.member);
  }

  /** Members of every partition (waiting or claimed). */
  async count(): Promise<number> {
    const results = await execGrouped(
      this.redis,
      this.keys.allPartitions(),
      (p) => p,
      (pipeline, p) => pipeline.zcard(this.keys.timers(p)),
    );
    return results.reduce((sum, [err, n]) => {
      if (err) throw err;
      return sum + Number(n);
    }, 0);
  }
}
