/**
 * Connection state for readiness, metrics and GET /v1/pbx. "Connected" = a token is held and the call
 * event source is healthy (WebSocket open and resynced, or the last poll of GET /callcontrol succeeded).
 */
import type { PbxConnectionStatus } from '../pbx.js';

export class ConnectionState {
  private up = false;
  private since: Date;
  private everUp = false;
  private reconnects = 0;
  private lastEventAt: Date | null = null;
  private lastError: string | null = null;

  constructor(private readonly now: () => Date = () => new Date()) {
    this.since = now();
  }

  /** The event source is healthy. Returns false when it already was (no event to emit). */
  connected(): boolean {
    if (this.up) return false;
    if (this.everUp) this.reconnects += 1;
    this.up = this.everUp = true;
    this.since = this.now();
    return true;
  }

  /** The event source dropped. Returns false when it was not up. */
  disconnected(reason: string): boolean {
    this.lastError = reason;
    if (!this.up) return false;
    this.up = false;
    this.since = this.now();
    return true;
  }

  failed(message: string): void {
    this.lastError = message;
  }

  sawEvent(): void {
    this.lastEventAt = this.now();
  }

  status(tokenHeld: boolean): PbxConnectionStatus {
    return {
      connected: this.up && tokenHeld,
      since: this.since,
      reconnects: this.reconnects,
      lastEventAt: this.lastEventAt,
      lastError: this.lastError,
    };
  }
}
