/**
 * The settings this daemon pushed lately, per connection and extension. Perf: the PBX reports every push back (DND,
 * presence, queue pause events), and telling such an echo apart took two Redis reads per event (the extension's
 * user, the user's sync record). A fact equal to a recent push of ours is that echo; anything else still goes by
 * the stored record. Kept only while this daemon holds the connection (forgotten when a lease is taken or let go,
 * so another holder's later pushes are never shadowed) and for about `windowMs` after the push (echoes come within
 * moments), so it stays small.
 */
import type { DesiredSettings } from '../../adapters/pbx.js';

export interface RecentPush {
  userId: string;
  pushed: DesiredSettings;
}

export class RecentPushes {
  private current = new Map<string, RecentPush>();
  private previous = new Map<string, RecentPush>();
  private rotatedAt: number;

  constructor(
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.rotatedAt = now();
  }

  /** Recorded once the push is in the sync record (markPushing), before it is sent. */
  record(connection: string, extension: string, push: RecentPush): void {
    this.rotate();
    this.current.set(keyOf(connection, extension), push);
  }

  /** The push failed: the stored record (not this one) says what was pushed last. */
  forget(connection: string, extension: string): void {
    const key = keyOf(connection, extension);
    this.current.delete(key);
    this.previous.delete(key);
  }

  get(connection: string, extension: string): RecentPush | undefined {
    this.rotate();
    const key = keyOf(connection, extension);
    return this.current.get(key) ?? this.previous.get(key);
  }

  forgetConnection(connection: string): void {
    const prefix = keyOf(connection, '');
    for (const map of [this.current, this.previous])
      for (const key of map.keys()) if (key.startsWith(prefix)) map.delete(key);
  }

  /** Two generations: an entry lives between one and two windows. */
  private rotate(): void {
    const now = this.now();
    if (now - this.rotatedAt < this.windowMs) return;
    this.previous = now - this.rotatedAt < 2 * this.windowMs ? this.current : new Map();
    this.current = new Map();
    this.rotatedAt = now;
  }
}

const keyOf = (connection: string, extension: string): string => `${connection}/${extension}`;
