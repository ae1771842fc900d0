/**
 * Re-plans the overage of every user in a status type whose `allowedMinutes` was edited (issue: "overage
 * follows the status type as it is now"). The edit and its catalog-outbox entry are written in one script
 * (status-type-store.ts); the dispatcher hands the entry here and acknowledges it only when every user in the
 * type got a `replanOverage` command, so a crash midway re-runs the whole entry (replanOverage is idempotent:
 * a user already re-planned is a no-op or gets the same timer again). Users who enter the type later plan
 * with the new allowance anyway.
 */
import type { Logger } from 'pino';
import { ApiError } from '../errors.js';
import type { StreamEntry } from '../outbox/outbox-entry.js';
import type { UserService } from '../users/user-service.js';
import type { UserStore } from '../users/user-store.js';
import type { CatalogCache } from './catalog-cache.js';
import { ALLOWANCE_CHANGED } from './status-type-store.js';

/** Users re-planned at the same time; bounded so one edit does not flood Redis. */
const CONCURRENCY = 32;

export class OverageReplanner {
  constructor(
    private readonly store: Pick<UserStore, 'usersInStatus'>,
    private readonly users: Pick<UserService, 'execute'>,
    private readonly catalog: Pick<CatalogCache, 'get' | 'refresh'>,
    private readonly log: Logger,
  ) {}

  readonly onOutboxEntry = async (entry: StreamEntry): Promise<void> => {
    if (entry.type !== ALLOWANCE_CHANGED) return;
    const { id, version } = entry.data as { id: string; version: number };
    await this.catalogAtLeast(id, version);
    const ids = await this.store.usersInStatus(id);
    for (let i = 0; i < ids.length; i += CONCURRENCY) {
      await Promise.all(ids.slice(i, i + CONCURRENCY).map((userId) => this.replan(userId, id)));
    }
    this.log.info({ statusId: id, version, users: ids.length }, 'overage re-planned after an allowance edit');
  };

  /** decide() must see the edited allowance: this daemon's copy may not have heard of the edit yet. */
  private async catalogAtLeast(id: string, version: number): Promise<void> {
    const cached = (await this.catalog.get()).get(id);
    if (!cached || cached.version < version) await this.catalog.refresh();
  }

  private async replan(userId: string, statusId: string): Promise<void> {
    try {
      await this.users.execute(userId, { type: 'replanOverage', statusId });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'USER_NOT_FOUND') return; // deleted meanwhile
      throw err; // the entry stays unacknowledged and is handled again
    }
  }
}
