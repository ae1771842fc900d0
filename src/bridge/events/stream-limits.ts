/**
 * Admission for SSE: how many streams may be open, and how many may be replaying (catching up after
 * Last-Event-ID, the costly part), per API key and in total. A request over a limit is refused with 429
 * TOO_MANY_STREAMS and a Retry-After, before anything is read or held for it.
 */

export interface StreamLimitOptions {
  maxSessions: number;
  maxSessionsPerKey: number;
  maxReplays: number;
  maxReplaysPerKey: number;
}

export type LimitHit = 'sessions' | 'sessions-per-key' | 'replays' | 'replays-per-key';

/** A slot taken; release() is idempotent. */
export interface Slot {
  release(): void;
}

class Counter {
  private total = 0;
  private readonly perKey = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerKey: number,
  ) {}

  get count(): number {
    return this.total;
  }

  /** null when taken, else which limit is reached. */
  take(key: string): 'total' | 'per-key' | Slot {
    const mine = this.perKey.get(key) ?? 0;
    if (this.total >= this.max) return 'total';
    if (mine >= this.maxPerKey) return 'per-key';
    this.total += 1;
    this.perKey.set(key, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perKey.get(key) ?? 1) - 1;
        if (left <= 0) this.perKey.delete(key);
        else this.perKey.set(key, left);
      },
    };
  }
}

export class StreamLimits {
  private readonly sessions: Counter;
  private readonly replays: Counter;

  constructor(options: StreamLimitOptions) {
    this.sessions = new Counter(options.maxSessions, options.maxSessionsPerKey);
    this.replays = new Counter(options.maxReplays, options.maxReplaysPerKey);
  }

  get openSessions(): number {
    return this.sessions.count;
  }

  get runningReplays(): number {
    return this.replays.count;
  }

  openSession(key: string): Slot | LimitHit {
    const slot = this.sessions.take(key);
    if (slot === 'total') return 'sessions';
    if (slot === 'per-key') return 'sessions-per-key';
    return slot;
  }

  startReplay(key: string): Slot | LimitHit {
    const slot = this.replays.take(key);
    if (slot === 'total') return 'replays';
    if (slot === 'per-key') return 'replays-per-key';
    return slot;
  }
}
