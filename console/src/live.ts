/**
 * Keeping a screen current from the event stream. Events are not applied as patches: each one names a user, and
 * that user's state is fetched again, because UserState is the one shape both the REST API and the screens know
 * and an event alone does not carry all of it. Fetches are coalesced per user (one in flight, at most one more
 * queued), and a whole reload runs when the stream could not resume (first connect, no id yet, or
 * `resync-required`). The stream is opened before the first load, so nothing can slip in between.
 */
import type { Api } from './api.js';
import { connection } from './components/connection-status.js';
import { EventStream, type StreamOptions } from './sse.js';
import type { LiveEvent } from './types.js';

export interface LiveHandlers {
  /** Load everything the screen shows. */
  reload(): Promise<void>;
  /** Fetch one user again. */
  refreshUser?(userId: string): Promise<void>;
  /** The status catalog changed. */
  statusTypesChanged?(): Promise<void>;
  /** Every event, after the above were started (for messages about what happened). */
  onEvent?(event: LiveEvent): void;
}

/** Runs a task per key with at most one in flight and one queued behind it. */
export class Coalescer {
  private readonly running = new Set<string>();
  private readonly queued = new Set<string>();

  constructor(private readonly task: (key: string) => Promise<void>) {}

  request(key: string): void {
    if (this.running.has(key)) this.queued.add(key);
    else void this.run(key);
  }

  private async run(key: string): Promise<void> {
    this.running.add(key);
    try {
      await this.task(key);
    } catch {
      // a failed refresh leaves the previous state; the next event or reload repairs it
    } finally {
      this.running.delete(key);
      if (this.queued.delete(key)) void this.run(key);
    }
  }
}

export function followLive(api: Api, handlers: LiveHandlers, options: StreamOptions = {}): EventStream {
  const work = new Coalescer(async (key) => {
    if (key === '*') return handlers.reload();
    if (key === '#types') return handlers.statusTypesChanged?.();
    return handlers.refreshUser?.(key);
  });
  return new EventStream(
    api,
    {
      onOpen: (resumed) => {
        if (!resumed) work.request('*');
      },
      onResync: () => work.request('*'),
      onEvent: (event) => {
        if (event.type === 'status-type.changed') work.request('#types');
        else if (event.userId) work.request(event.userId);
        handlers.onEvent?.(event);
      },
      onState: (state) => connection.set(state),
    },
    options,
  ).start();
}
