/** Which user owns an extension on a PBX connection; kept in step with directory changes by the dispatcher. */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StreamEntry } from '../outbox/outbox-entry.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

const entryOf = (pbx: { connection: string; extension: string } | null | undefined): string =>
  pbx ? `${pbx.connection}/${pbx.extension}` : '';

export class ExtensionIndex {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {}

  async set(userId: string, pbx: { connection: string; extension: string } | null): Promise<void> {
    const result = await runScript(
      this.redis,
      'indexExtension',
      [this.keys.extensionIndex(), this.keys.userExtension()],
      [userId, entryOf(pbx)],
    );
    if (result === -1) {
      this.log.warn(
        { userId, connection: pbx?.connection, extension: pbx?.extension },
        'extension already belongs to another user; not mapped',
      );
    }
  }

  async userOf(connection: string, extension: string): Promise<string | null> {
    return this.redis.hget(this.keys.extensionIndex(), `${connection}/${extension}`);
  }

  /** extension → user id for one connection. */
  async usersOf(connection: string): Promise<Map<string, string>> {
    const all = await this.redis.hgetall(this.keys.extensionIndex());
    const prefix = `${connection}/`;
    return new Map(
      Object.entries(all)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  }

  /** Outbox handler. */
  readonly onOutboxEntry = async (entry: StreamEntry): Promise<void> => {
    if (entry.type === 'user.directory.changed') {
      const directory = entry.data.directory as { pbx: { connection: string; extension: string } | null };
      await this.set(entry.userId, directory.pbx);
    } else if (entry.type === 'user.deleted') {
      await this.set(entry.userId, null);
    }
  };
}
