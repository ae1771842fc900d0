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
  emit(event: string, ...args: unknown[]): boolean;
  listeners(event: string): Listener[];
  removeListener(event: string, listener: Listener): void;
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

/**
 * Perf: reads the package's socket instead of its ManagerReader (lib/ami.js), building the same messages for its
 * `rawevent` dispatch: that reader concatenated and re-split the pending lines on every chunk and split and re-joined
 * every header (about a third of the adapter's CPU in bench/ burst). Same rules: CRLF or LF lines, a blank line ends a
 * block, lower-cased names, repeated headers become arrays, `Variable:`/`ChanVariable:` a sub-object, the greeting is
 * skipped, and a `Response: Follows` block runs to `--END COMMAND--` (this daemon sends no `Command`).
 */
export function replaceReader(manager: AsteriskManager, socket: Socket, onResponse?: ResponseHook): void {
  socket.removeAllListeners('data'); // the package's reader is the only one
  const reader = new MessageReader(dispatcher(manager, onResponse));
  socket.on('data', (data: string | Buffer) => reader.push(String(data)));
}

/**
 * Perf: hands a message on the way the package's `rawevent` handler (ManagerEvent) does, without its detours: it
 * bound and deferred (process.nextTick) every emit, and emitted each message under two or three names nobody here
 * listens to ('response', the event's own name). What this daemon listens to comes out the same, in the same order:
 * an action's response on its ActionID (with the `Response: Error` block as the callback's error), an event on
 * `managerevent` (its name made one string). Anything else (a `Follows` response without an ActionID, junk) still
 * goes to the package's handler. `rawevent` is still emitted for every message (liveness).
 */
export function dispatcher(manager: AsteriskManager, onResponse?: ResponseHook): (msg: AmiMessage) => void {
  const packageHandler = manager.listeners('rawevent')[0];
  if (packageHandler) manager.removeListener('rawevent', packageHandler);
  return (msg) => {
    manager.emit('rawevent', msg);
    const { response, actionid, event } = msg as Record<string, unknown>;
    const isResponse = typeof response === 'string' && typeof actionid === 'string' && actionid !== '';
    if (isResponse && !onResponse?.(actionid, msg))
      manager.emit(actionid, response.toLowerCase() === 'error' ? msg : undefined, msg);
    if (event) {
      const name = Array.isArray(event) ? event.shift() : event;
      msg.event = `${name as string}`;
      manager.emit('managerevent', msg);
    } else if (!isResponse) packageHandler?.(msg);
  };
}

/** Takes the response to an action sent without the package (AmiConnection); false: not one of those. */
export type ResponseHook = (actionId: string, msg: AmiMessage) => boolean;

/**
 * The action as the package's MakeManagerAction writes it: `ActionID` first, names trimmed and capitalised
 * (`EventMask` → `Eventmask`), an `actionid` header dropped, the lines sorted, a blank line at the end. Perf: built
 * here, actions leave without the package's per-action listener bookkeeping and socket write (AmiConnection writes
 * one tick's actions at once).
 */
export function actionFrame(action: AmiAction, actionId: string): string {
  const lines = [`ActionID: ${actionId}`];
  for (const name of Object.keys(action)) {
    const value = action[name];
    const key = name.trim().toLowerCase();
    if (key.length === 0 || key === 'actionid' || value === undefined) continue;
    lines.push(`${key[0]?.toUpperCase() ?? ''}${key.slice(1)}: ${value}`);
  }
  lines.sort();
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Splits AMI text into messages (see {@link replaceReader}). */
export class MessageReader {
  private rest = '';
  private lines: string[] = [];
  private follow = 0;

  constructor(private readonly emit: (msg: AmiMessage) => void) {}

  push(text: string): void {
    const buffer = this.rest + text;
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n', start)) {
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(buffer.slice(start, end));
      start = nl + 1;
    }
    this.rest = buffer.slice(start);
  }

  private line(line: string): void {
    const lines = this.lines;
    if (lines.length === 0 && line.startsWith('Asterisk Call Manager')) return; // greeting
    if (lines.length === 0 && /^response:/i.test(line) && /follow/i.test(line)) {
      this.follow = 1;
      lines.push(line);
    } else if (this.follow > 0 && (line === '--END COMMAND--' || line === '--END SMS EVENT--')) {
      this.follow = 2;
      lines.push(line);
    } else if (this.follow > 1 && line.length === 0) {
      lines.pop();
      const content = lines.join('\n');
      const id = /actionid: ([^\r\n]+)/i.exec(content);
      this.follow = 0;
      this.lines = [];
      this.emit({ response: 'follows', content, ...(id ? { actionid: id[1] } : {}) });
    } else if (this.follow === 0 && line.length === 0) {
      this.lines = [];
      if (lines.length > 0) this.emit(parseBlock(lines));
    } else lines.push(line);
  }
}

function parseBlock(lines: readonly string[]): AmiMessage {
  const msg: Record<string, string | string[] | Record<string, string>> = {};
  for (const line of lines) {
    const colon = line.indexOf(': ');
    const key = (colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase();
    const value = colon < 0 ? '' : line.slice(colon + 2);
    const had = Object.hasOwn(msg, key) ? msg[key] : undefined;
    if (key === 'variable' || key === 'chanvariable') {
      const vars = typeof had === 'object' && !Array.isArray(had) ? had : {};
      const eq = value.indexOf('=');
      vars[eq < 0 ? value : value.slice(0, eq)] = eq < 0 ? '' : value.slice(eq + 1);
      msg[key] = vars;
    } else if (had === undefined) msg[key] = value;
    else if (Array.isArray(had)) had.push(value);
    else msg[key] = [had as string, value];
  }
  return msg;
}
