/**
 * One XREADGROUP over several streams, each read from the same position: '>' for new entries, '0' for this
 * consumer's pending ones. Shared by the outbox dispatcher and the sync consumer; each types the reply itself.
 */
import type { Redis } from 'ioredis';

export interface GroupRead {
  group: string;
  consumer: string;
  count: number;
  streams: string[];
  from: '>' | '0';
  /** Blocks up to this long when given. */
  blockMs?: number;
}

export async function readGroup(redis: Redis, read: GroupRead): Promise<unknown> {
  const block = read.blockMs === undefined ? [] : ['BLOCK', String(read.blockMs)];
  return redis.call(
    'XREADGROUP',
    'GROUP',
    read.group,
    read.consumer,
    'COUNT',
    String(read.count),
    ...block,
    'STREAMS',
    ...read.streams,
    ...read.streams.map(() => read.from),
  );
}
