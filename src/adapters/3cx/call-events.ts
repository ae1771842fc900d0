/**
 * Call events from 3CX Call Control, in the configured mode — WebSocket with a GET per event
 * (socket-session.ts) or polling GET /callcontrol (poll-session.ts) — run as a reconnect loop with
 * capped, jittered backoff. Both feed one CallTracker and report through the same callbacks.
 */
import type { Logger } from 'pino';
import type { CallChange, CallTracker } from './call-tracker.js';
import type { SocketOptions } from './call-socket.js';
import { pollSession } from './poll-session.js';
import { runReconnectLoop, type Backoff } from './reconnect-loop.js';
import { socketSession } from './socket-session.js';
import type { TokenManager } from './token-manager.js';
import type { XapiClient } from './xapi-client.js';

export interface CallSourceDeps {
  client: XapiClient;
  tokens: TokenManager;
  tracker: CallTracker;
  socket: SocketOptions;
  pingIntervalMs: number;
  pollIntervalMs: number;
  log: Logger;
  /** The source is healthy again (emit `connected`). */
  online(): void;
  /** The source dropped (emit `disconnected`). */
  offline(reason: string): void;
  report(change: CallChange): void;
  sawEvent(): void;
  failed(err: unknown): void;
}

export function runCallEvents(
  deps: CallSourceDeps,
  mode: 'websocket' | 'polling',
  backoff: Backoff,
  signal: AbortSignal,
): Promise<void> {
  const session = mode === 'websocket' ? socketSession(deps) : pollSession(deps);
  return runReconnectLoop(session, { signal, backoff, onFailure: deps.failed });
}
