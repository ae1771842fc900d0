/**
 * One AMI link: one asterisk-manager instance, one TCP socket, one login. Never reused after it closes;
 * the session builds a new one (reference §2 item 5: "discard the instance and build a new one").
 *
 * What it adds to the package (reference §2 "Known defects"):
 * - login outcome is awaited and a refusal is an error (defect 2), with a deadline;
 * - every action has a deadline and its listener is removed on timeout (defect 3);
 * - on close every pending action fails at once with PBX_UNAVAILABLE, and nothing is ever queued for a
 *   later connection (defect 4): a closed link rejects new actions;
 * - list actions (CoreShowChannels, QueueStatus, DBGet, …) are collected by ActionID up to their
 *   `…Complete` event (the package hands over only the `EventList: start` ack).
 */
import type { Socket } from 'node:net';
import { PbxError } from '../pbx.js';
import { unavailable } from './ami-errors.js';
import { cleanAction, eventName, field, isSuccess, type AmiAction, type AmiMessage } from './ami-message.js';
import {
  actionFrame,
  connectCapturingSocket,
  createManager,
  replaceReader,
  type AsteriskManager,
} from './asterisk-manager.js';

export interface AmiEndpoint {
  host: string;
  port: number;
  username: string;
  secret: string;
}

export interface ConnectionHooks {
  /** Every async event (list items included; the session filters them out). */
  onEvent(msg: AmiMessage): void;
  /** Anything received at all (events, responses, pongs): liveness. */
  onTraffic(): void;
}

/** A list action's outcome: the ack (or error) response and the items that carried its ActionID. */
export interface ListResult {
  response: AmiMessage;
  items: AmiMessage[];
}

interface Pending {
  fail(err: Error): void;
}

let connectionSeq = 0;

export class AmiConnection {
  private readonly pending = new Set<Pending>();
  private readonly lists = new Map<string, (msg: AmiMessage) => void>();
  private actionSeq = 0;
  /** Actions sent by dispatch() waiting for their response, by ActionID. */
  private readonly awaiting = new Map<string, (res: AmiMessage) => void>();
  /** Frames of this tick not yet written. */
  private outgoing: string[] = [];
  private closedReason: string | null = null;
  private readonly closedWaiters: Array<(reason: string) => void> = [];
  private readonly prefix = `pb${++connectionSeq}-`;

  private constructor(
    private readonly manager: AsteriskManager,
    private readonly socket: Socket | null,
  ) {}

  /** Connects and logs in, or throws (PBX_AUTH_FAILED, PBX_TIMEOUT, PBX_UNAVAILABLE). `signal` aborts it. */
  static async open(
    endpoint: AmiEndpoint,
    hooks: ConnectionHooks,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<AmiConnection> {
    const manager = createManager(endpoint.host, endpoint.username, endpoint.secret);
    const socket = connectCapturingSocket(manager, endpoint.port, endpoint.host);
    const conn = new AmiConnection(manager, socket);
    if (socket) replaceReader(manager, socket, (id, msg) => conn.answer(id, msg));
    conn.listen(hooks);
    const abort = (): void => conn.close('stopped');
    signal.addEventListener('abort', abort, { once: true });
    try {
      await conn.deadline(conn.tcpConnected(), timeoutMs, 'AMI connect');
      await conn.deadline(conn.login(), timeoutMs, 'AMI login');
      return conn;
    } catch (err) {
      conn.close(err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Resolves with the reason once the link is closed (by the peer, an error or close()). */
  whenClosed(): Promise<string> {
    if (this.closedReason !== null) return Promise.resolve(this.closedReason);
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** Sends one action and resolves with its response (Success or Error; callers decide). */
  send(action: AmiAction, timeoutMs: number): Promise<AmiMessage> {
    if (this.closed) return Promise.reject(unavailable(`AMI link closed: ${this.closedReason}`));
    const id = this.nextActionId();
    const reply = new Promise<AmiMessage>((resolve) => this.dispatch(action, id, resolve));
    return this.deadline(reply, timeoutMs, `AMI ${action.Action ?? 'action'}`, id);
  }

  /** Sends a list action and collects its items until `completeEvent`. An Error response ends it early. */
  list(action: AmiAction, completeEvent: string, timeoutMs: number): Promise<ListResult> {
    if (this.closed) return Promise.reject(unavailable(`AMI link closed: ${this.closedReason}`));
    const id = this.nextActionId();
    const result = new Promise<ListResult>((resolve) => {
      const items: AmiMessage[] = [];
      let response: AmiMessage | null = null;
      const finish = (): void => resolve({ response: response ?? {}, items });
      this.lists.set(id, (msg) => {
        if (eventName(msg) === completeEvent.toLowerCase()) finish();
        else items.push(msg);
      });
      this.dispatch(action, id, (res) => {
        response = res;
        if (!isSuccess(res)) finish();
      });
    });
    return this.deadline(result, timeoutMs, `AMI ${action.Action ?? 'list'}`, id).finally(() =>
      this.lists.delete(id),
    );
  }

  /** The response to an action sent by {@link dispatch}: hands it to its sender (false: not one of ours). */
  answer(actionId: string, msg: AmiMessage): boolean {
    const resolve = this.awaiting.get(actionId);
    if (!resolve) return false;
    this.awaiting.delete(actionId);
    resolve(msg);
    return true;
  }

  /**
   * Sends an action; `onResponse` gets its response. Perf: with the socket in hand the frame is built here and the
   * actions of one tick leave in one socket write (a sync sends several at once, a batch of syncs many); the
   * package's action() registered a listener and wrote to the socket per action.
   */
  private dispatch(action: AmiAction, id: string, onResponse: (res: AmiMessage) => void): void {
    const socket = this.socket;
    if (!socket) {
      this.manager.action({ ...cleanAction(action), actionid: id }, (_err, res) => onResponse(res));
      return;
    }
    this.awaiting.set(id, onResponse);
    this.outgoing.push(actionFrame(cleanAction(action), id));
    if (this.outgoing.length > 1) return;
    process.nextTick(() => {
      const text = this.outgoing.join('');
      this.outgoing = [];
      if (!this.closed) socket.write(text, 'utf-8');
    });
  }

  /** Closes for good: fails pending actions, destroys the socket (even a half-open one). Idempotent. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const p of [...this.pending]) p.fail(unavailable(`AMI link closed: ${reason}`));
    this.awaiting.clear();
    // Actions of this tick still leave (a Logoff sent right before the close, as the corked socket's end() did).
    const unsent = this.outgoing.join('');
    this.outgoing = [];
    if (unsent && this.socket && !this.socket.destroyed) this.socket.write(unsent, 'utf-8');
    this.manager.removeAllListeners();
    this.manager.on('error', () => undefined); // a late socket error must not become an unhandled 'error'
    this.manager.disconnect();
    this.socket?.destroy();
    for (const wake of this.closedWaiters.splice(0)) wake(reason);
  }

  private listen(hooks: ConnectionHooks): void {
    this.manager.on('rawevent', () => hooks.onTraffic());
    this.manager.on('managerevent', (msg) => this.route(msg as AmiMessage, hooks));
    this.manager.on('error', (err) => this.close(`socket error: ${(err as Error).message}`));
    this.manager.on('close', () => this.close('connection closed by peer'));
  }

  private route(msg: AmiMessage, hooks: ConnectionHooks): void {
    const collector = this.lists.get(field(msg, 'actionid'));
    if (collector) collector(msg);
    else hooks.onEvent(msg);
  }

  private tcpConnected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.manager.on('connect', () => resolve());
      void this.whenClosed().then((reason) => reject(unavailable(`AMI connect failed: ${reason}`)));
    });
  }

  private login(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.manager.login((err) => {
        if (!err) return resolve();
        const text = field(err, 'message') || 'login refused';
        reject(new PbxError('PBX_AUTH_FAILED', `AMI login refused: ${text}`));
      });
      void this.whenClosed().then((reason) => reject(unavailable(`AMI closed during login: ${reason}`)));
    });
  }

  /** Races `work` against a timer and the link closing; cleans the package's listener on timeout. */
  private deadline<T>(work: Promise<T>, ms: number, what: string, actionId?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { fail: (err) => settle(() => reject(err)) };
      const timer = setTimeout(() => {
        if (actionId) {
          this.awaiting.delete(actionId);
          this.manager.removeAllListeners(actionId);
        }
        settle(() => reject(new PbxError('PBX_TIMEOUT', `${what}: no answer within ${ms} ms`)));
      }, ms);
      const settle = (fn: () => void): void => {
        clearTimeout(timer);
        this.pending.delete(entry);
        fn();
      };
      this.pending.add(entry);
      work.then(
        (value) => settle(() => resolve(value)),
        (err: unknown) => settle(() => reject(err)),
      );
    });
  }

  private nextActionId(): string {
    return `${this.prefix}${++this.actionSeq}`;
  }
}
