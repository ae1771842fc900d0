/**
 * Heartbeats per key and user, in fixed one-minute windows (README "Configuration", `status.heartbeatsPerMinute`): a client that sends more than
 * `perMinute` in a window is answered 429 RATE_LIMITED with Retry-After until the window ends. Per key and user,
 * so an integration key heartbeating for many agents is not limited by their number. Kept in the daemon's memory:
 * with N daemons behind a balancer a client gets at most N × perMinute through, each of them now a cheap write.
 */
import { ApiError } from '../errors.js';

const WINDOW_MS = 60_000;
/** Windows are swept once the map holds this many (a flood over many user ids cannot grow it for long). */
const SWEEP_AT = 10_000;

export class HeartbeatLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Counts one heartbeat; throws RATE_LIMITED (details.retryAfterSeconds) when over the limit. */
  take(keyName: string, userId: string): void {
    const now = this.clock().getTime();
    if (this.windows.size >= SWEEP_AT) this.sweep(now);
    const id = `${keyName}\u0000${userId}`;
    const window = this.windows.get(id);
    if (!window || now - window.start >= WINDOW_MS) {
      this.windows.set(id, { start: now, count: 1 });
      return;
    }
    window.count += 1;
    if (window.count <= this.perMinute) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
    throw new ApiError('RATE_LIMITED', `more than ${this.perMinute} heartbeats a minute for this user`, {
      limit: this.perMinute,
      retryAfterSeconds,
    });
  }

  private sweep(now: number): void {
    for (const [id, window] of this.windows) {
      if (now - window.start >= WINDOW_MS) this.windows.delete(id);
    }
  }
}
