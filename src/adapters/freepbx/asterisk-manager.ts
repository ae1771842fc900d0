/**
 * Typed access to the CommonJS `asterisk-manager` 0.2.0 package (no types are published that match it,
 * reference §2 item 7), plus the one thing the package hides: its TCP socket.
 *
 * Why the socket: the package's `disconnect()` only calls `end()` and drops its reference, so a
 * half-open connection (reference §2 item 5) would linger until the OS gives up and keep the process
 * alive. We observe the socket the package creates through Node's `net.client.socket` diagnostics
 * channel, which publishes synchronously inside `net.connect()`; nothing is patched.
 */
import diagnostics from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { AmiAction, AmiMessage } from './ami-message.js';

type Listener = (...args: unknown[]) => void;

/** The subset of the package's manager object we use (see lib/ami.js). */
export interface AsteriskManager {
  connect(port: number, host: string, callback?: () => void): void;
  /** Sends the built-in Login; `err` is the `Response: Error` block when the PBX refuses. */
  login(callback: (err?: AmiMessage) => void): void;
  /** Sends an action; `actionid` in `action` becomes the ActionID. Callback fires on the first response. */
  action(action: AmiAction, callback: (err: AmiMessage | undefined, res: AmiMessage) => void): string;
  disconnect(callback?: () => void): void;
  isConnected(): boolean;
  on(event: string, listener: Listener): void;
  removeAllListeners(event?: string): void;
}

type ManagerFactory = (
  port: number | undefined,
  host: string,
  username: string,
  secret: string,
  events: boolean,
) => AsteriskManager;

const requireCjs = createRequire(import.meta.url);
const factory = requireCjs('asterisk-manager') as ManagerFactory;

/**
 * A manager that has not connected yet (no port given, so the package neither connects nor logs in
 * by itself; we drive both to see their outcome).
 */
export function createManager(host: string, username: string, secret: string): AsteriskManager {
  return factory(undefined, host, username, secret, false);
}

/** Starts the TCP connect and returns the socket the package created for it. */
export function connectCapturingSocket(manager: AsteriskManager, port: number, host: string): Socket | null {
  let socket: Socket | null = null;
  const grab = (message: unknown): void => {
    socket ??= (message as { socket: Socket }).socket;
  };
  diagnostics.subscribe('net.client.socket', grab);
  try {
    manager.connect(port, host);
  } finally {
    diagnostics.unsubscribe('net.client.socket', grab);
  }
  return socket;
}
