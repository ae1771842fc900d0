/**
 * The long-lived AMI session: a reconnect loop around {@link AmiConnection}.
 *
 * Design (STYLE practice 4, inngest-js "connection as a loop"): one `while` loop, never recursion.
 * Each turn connects, logs in, sets the event mask with an `Events` action (the package's login cannot,
 * reference §2 defect 1), declares itself ready, then pings every pingIntervalMs until the link closes
 * or a Pong misses its pingTimeoutMs deadline (half-open TCP, defect 5). Then it discards the link,
 * waits a capped, jittered backoff and goes round again. Login failures are reported in
 * `status().lastError` and retried with the same backoff. The package's keepConnected() is not used.
 *
 * Actions are only accepted while ready; otherwise they fail at once with PBX_UNAVAILABLE instead of
 * being held for a later connection, so a stale write is never replayed (defect 4).
 */
import type { Logger } from 'pino';
import { PbxError, type PbxConnectionStatus } from '../pbx.js';
import { requireSuccess, unavailable } from './ami-errors.js';
import { AmiConnection, type AmiEndpoint, type ListResult } from './ami-connection.js';
import type { AmiAction, AmiMessage } from './ami-message.js';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff.js';

/** Classes this daemon needs (reference §1): channels, queues, UserEvents, FullyBooted. */
export const EVENT_MASK = 'call,agent,user,system';

export interface AmiSessionOptions {
  ami: AmiEndpoint;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  actionTimeoutMs: number;
  backoff: BackoffPolicy;
  logger: Logger;
}

export interface AmiSessionHandlers {
  /** Every async event while a link is up (before and after ready). */
  onEvent(msg: AmiMessage): void;
  /** Logged in and event mask set. */
  onReady(): void;
  /** A ready link went down. */
  onDown(reason: string): void;
}

export class AmiSession {
  private conn: AmiConnection | null = null;
  private ready = false;
  private readonly stopper = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly state = {
    since: new Date(),
    logins: 0,
    lastEventAt: null as Date | null,
    lastError: null as string | null,
  };

  constructor(
    private readonly options: AmiSessionOptions,
    private readonly handlers: AmiSessionHandlers,
  ) {}

  /** Starts the loop in the background. Calling it twice does nothing. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the loop, logs off politely if possible, closes the link. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopper.signal.aborted) return this.loop ?? undefined;
    this.stopper.abort();
    const conn = this.conn;
    if (conn && this.ready) await conn.send({ Action: 'Logoff' }, 500).catch(() => undefined);
    conn?.close('stopped');
    await this.loop;
  }

  status(): PbxConnectionStatus {
    return {
      connected: this.ready,
      since: this.state.since,
      reconnects: Math.max(0, this.state.logins - 1),
      lastEventAt: this.state.lastEventAt,
      lastError: this.state.lastError,
    };
  }

  /** Sends an action on the ready link (resolves with Success or Error responses alike). */
  async send(action: AmiAction): Promise<AmiMessage> {
    return this.readyConnection().send(action, this.options.actionTimeoutMs);
  }

  /** Sends a list action and collects its items until `completeEvent`. */
  async list(action: AmiAction, completeEvent: string): Promise<ListResult> {
    return this.readyConnection().list(action, completeEvent, this.options.actionTimeoutMs);
  }

  private readyConnection(): AmiConnection {
    if (!this.ready || !this.conn || this.conn.closed) throw unavailable('not connected to Asterisk AMI');
    return this.conn;
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      if (await this.runOnce()) attempt = 0;
      if (signal.aborted) break;
      const delay = backoffDelay(attempt, this.options.backoff);
      this.options.logger.debug({ delayMs: delay, attempt }, 'AMI reconnect scheduled');
      await sleep(delay, signal);
    }
  }

  /** One connection lifetime. Returns true when it reached ready (so the backoff starts over). */
  private async runOnce(): Promise<boolean> {
    let reachedReady = false;
    try {
      const conn = await this.connect();
      reachedReady = true;
      const reason = await this.watch(conn);
      this.markDown(reason);
    } catch (err) {
      this.recordError(err);
    } finally {
      this.conn?.close('discarded');
      this.conn = null;
    }
    return reachedReady;
  }

  private async connect(): Promise<AmiConnection> {
    const { ami, actionTimeoutMs } = this.options;
    const hooks = {
      onEvent: (m: AmiMessage) => this.safely(() => this.handlers.onEvent(m)),
      onTraffic: () => this.touch(),
    };
    const conn = await AmiConnection.open(ami, hooks, actionTimeoutMs, this.stopper.signal);
    this.conn = conn;
    if (this.stopper.signal.aborted) throw unavailable('stopped');
    const res = await conn.send({ Action: 'Events', EventMask: EVENT_MASK }, actionTimeoutMs);
    requireSuccess(res, 'AMI Events');
    this.markReady();
    return conn;
  }

  /** Pings until the link closes, a Pong is late, or stop() is called. Returns why it ended. */
  private async watch(conn: AmiConnection): Promise<string> {
    const { pingIntervalMs, pingTimeoutMs } = this.options;
    const signal = this.stopper.signal;
    while (!conn.closed && !signal.aborted) {
      await Promise.race([sleep(pingIntervalMs, signal), conn.whenClosed()]);
      if (conn.closed || signal.aborted) break;
      try {
        await conn.send({ Action: 'Ping' }, pingTimeoutMs);
      } catch {
        conn.close(`keepalive Ping unanswered within ${pingTimeoutMs} ms`);
      }
    }
    return signal.aborted ? 'stopped' : await conn.whenClosed();
  }

  private markReady(): void {
    this.ready = true;
    this.state.since = new Date();
    this.state.logins += 1;
    this.options.logger.info({ reconnects: this.status().reconnects }, 'AMI connected');
    this.safely(() => this.handlers.onReady());
  }

  private markDown(reason: string): void {
    this.ready = false;
    this.state.since = new Date();
    if (!this.stopper.signal.aborted) this.state.lastError = reason;
    this.options.logger.warn({ reason }, 'AMI disconnected');
    this.safely(() => this.handlers.onDown(reason));
  }

  private recordError(err: unknown): void {
    const message = err instanceof PbxError ? `${err.code}: ${err.message}` : String(err);
    if (this.ready) this.markDown(message);
    if (this.stopper.signal.aborted) return;
    this.state.lastError = message;
    this.options.logger.warn({ err: message }, 'AMI connection attempt failed');
  }

  private touch(): void {
    this.state.lastEventAt = new Date();
  }

  /** Handlers belong to the adapter; a throw there must not break the loop. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error({ err }, 'AMI session handler failed');
    }
  }
}
