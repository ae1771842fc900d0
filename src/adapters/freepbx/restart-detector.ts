/**
 * Asterisk restart detection from `FullyBooted` (sent after every login and at boot, with `Uptime`).
 *
 * Reference §1: Uptime going backwards means a new Asterisk process. We also compare the implied boot
 * time (receipt time − uptime), which catches a restart that happened long enough ago for the new
 * uptime to exceed the old one (e.g. during a long outage of the daemon's link). Uptime has whole-second
 * resolution, hence the tolerance.
 */
export class RestartDetector {
  private last: { uptimeSeconds: number; bootedAtMs: number } | null = null;

  constructor(private readonly toleranceMs = 10_000) {}

  /** Records one FullyBooted; true when it shows a newer Asterisk than the previous one seen. */
  observe(uptimeSeconds: number, at: Date): boolean {
    const bootedAtMs = at.getTime() - uptimeSeconds * 1000;
    const prev = this.last;
    this.last = { uptimeSeconds, bootedAtMs };
    if (!prev) return false;
    return uptimeSeconds < prev.uptimeSeconds || bootedAtMs > prev.bootedAtMs + this.toleranceMs;
  }
}
