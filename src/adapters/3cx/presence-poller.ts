/**
 * Phone-side changes of status profile and queue login. 3CX pushes neither (the Call Control socket
 * carries participants only, reference §9), so Users is polled — paged with `$top` ≤ 100 and `$select`
 * of four fields — and diffed with the previous poll. A user's first sighting is a silent baseline, so
 * a restart does not report every user as changed. Echo suppression is the bridge's job.
 */
import type { Logger } from 'pino';
import type { PhonePresence } from '../pbx.js';
import { USERS_PATH } from './identity.js';
import { runReconnectLoop } from './reconnect-loop.js';
import type { XapiClient } from './xapi-client.js';
import type { UserPresenceRow } from './xapi-types.js';

interface Seen {
  profile: string | null;
  loggedIn: boolean | null;
}

export interface PresencePollerDeps {
  client: XapiClient;
  intervalMs: number;
  log: Logger;
  report(extension: string, presence: PhonePresence): void;
  /** Every poll's rows (lets Identity learn ids for free). */
  seen(rows: readonly UserPresenceRow[]): void;
}

export class PresencePoller {
  private last = new Map<string, Seen>();

  constructor(private readonly deps: PresencePollerDeps) {}

  /** Polls until `signal` aborts; a failed poll is logged and retried on the next tick. */
  run(signal: AbortSignal): Promise<void> {
    const tick = { initialMs: this.deps.intervalMs, maxMs: this.deps.intervalMs };
    return runReconnectLoop(() => this.pollOnce(), {
      signal,
      backoff: tick,
      random: () => 1,
      onFailure: (err) => this.failed(err),
    });
  }

  async pollOnce(): Promise<void> {
    const rows = await this.deps.client.listAll<UserPresenceRow>({
      path: USERS_PATH,
      query: { $select: 'Id,Number,CurrentProfileName,QueueStatus' },
      what: 'presence poll',
    });
    this.deps.seen(rows);
    const next = new Map(rows.map((row) => [row.Number, seenOf(row)]));
    for (const [extension, now] of next) {
      const before = this.last.get(extension);
      const change = before && presenceChange(before, now);
      if (change) this.deps.report(extension, change);
    }
    this.last = next;
  }

  private failed(err: unknown): void {
    this.deps.log.warn({ code: (err as { code?: unknown }).code }, '3cx presence poll failed');
  }
}

/** Only what changed: a profile switch does not repeat the queue state, and vice versa. */
export function presenceChange(before: Seen, now: Seen): PhonePresence | null {
  const change: PhonePresence = {};
  if (now.profile !== null && now.profile !== before.profile) change.presence = now.profile;
  if (now.loggedIn !== null && now.loggedIn !== before.loggedIn) change.queue = { loggedIn: now.loggedIn };
  return Object.keys(change).length > 0 ? change : null;
}

function seenOf(row: UserPresenceRow): Seen {
  const loggedIn = row.QueueStatus === 'LoggedIn' ? true : row.QueueStatus === 'LoggedOut' ? false : null;
  return { profile: row.CurrentProfileName ?? null, loggedIn };
}
