/**
 * An in-memory copy of the catalog for the command path (decide() needs it on every change). It is refreshed
 * when any daemon publishes on the catalog channel and after every Redis reconnect, so edits made through one
 * daemon take effect on all of them without a restart.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Catalog, StatusType } from '../../status/status-type.js';
import type { Keys } from '../redis/keys.js';
import type { StatusTypeStore } from './status-type-store.js';

export class CatalogCache {
  private catalog: Map<string, StatusType> = new Map();
  private loaded = false;

  constructor(
    private readonly store: StatusTypeStore,
    private readonly subscriber: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string) => {
      if (channel === this.keys.catalogChannel()) void this.refresh();
    });
    this.subscriber.on('ready', () => void this.refresh());
    await this.subscriber.subscribe(this.keys.catalogChannel());
    await this.refresh();
  }

  /** The current catalog; loads it on first use if start() has not run (e.g. in tests). */
  async get(): Promise<Catalog> {
    if (!this.loaded) await this.refresh();
    return this.catalog;
  }

  async refresh(): Promise<void> {
    try {
      const list = await this.store.list();
      this.catalog = new Map(list.map((t) => [t.id, t]));
      this.loaded = true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'catalog refresh failed; keeping the previous copy');
    }
  }
}
