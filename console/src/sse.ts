/**
 * Server-Sent Events over fetch(). EventSource cannot send an Authorization header, so the stream is read with a
 * stream reader and parsed as the EventSource spec says (fields `id`, `event`, `data`, `retry`; `:` comments; a
 * blank line ends an event). Reconnecting is a loop, not recursion: after the stream ends or fails it waits
 * (the server's `retry:` hint, doubled per failed attempt up to 30 s, with jitter) and connects again with
 * `Last-Event-ID`, so the server replays what was missed. Without an id to resume from, or after
 * `resync-required`, the owner reloads its state instead.
 *
 * Liveness: the server sends a `: ping` every 15 s; a stream silent for 45 s is taken as dead (a network that
 * dropped without closing the socket) and replaced. The browser's offline/online events cut and restore at once.
 */
import type { Api } from './api.js';
import type { LiveEvent } from './types.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'denied' | 'stopped';

export interface StreamHandlers {
  onEvent(event: LiveEvent): void;
  /** The stream is open. `resumed`: the server replays from the last id; otherwise the owner reloads. */
  onOpen(resumed: boolean): void;
  /** Events may have been missed (cursor expired or unreadable): reload, keep listening. */
  onResync(reason: string): void;
  onState(state: StreamState): void;
}

export interface StreamOptions {
  /** Only these users' events (`?users=`). */
  users?: readonly string[];
  idleTimeoutMs?: number;
  maxDelayMs?: number;
}

interface Frame {
  id: string | undefined;
  event: string;
  data: string;
}

/** Incremental parser of the text/event-stream format. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  retry: number | undefined;

  constructor(private readonly emit: (frame: Frame) => void) {}

  feed(chunk: string): void {
    let text = this.buffer + chunk;
    // A CR at the very end may be the first half of a CRLF: hold it back until the next chunk shows which.
    const held = text.endsWith('\r') ? '\r' : '';
    if (held) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    this.buffer = (lines.pop() ?? '') + held;
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }

  private dispatch(): void {
    const data = this.data.join('\n');
    const event = this.event || 'message';
    const hadData = this.data.length > 0;
    this.data = [];
    this.event = '';
    if (hadData) this.emit({ id: this.id, event, data });
  }
}

export class EventStream {
  private lastEventId: string | undefined;
  private retryMs = 3000;
  private attempt = 0;
  private stopped = false;
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;
  private state: StreamState = 'connecting';
  private readonly idleTimeoutMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly api: Api,
    private readonly handlers: StreamHandlers,
    private readonly options: StreamOptions = {},
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
  }

  start(): this {
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
    void this.loop();
    return this;
  }

  stop(): void {
    this.stopped = true;
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    this.controller?.abort();
    this.wake?.();
    this.setState('stopped');
  }

  /** Drop the current connection and connect again now (e.g. the network came back). */
  reconnectNow(): void {
    this.attempt = 0;
    this.controller?.abort();
    this.wake?.();
  }

  private readonly onOnline = () => this.reconnectNow();
  private readonly onOffline = () => this.controller?.abort();

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const outcome = await this.connectOnce();
      if (this.stopped || outcome === 'denied') return;
      this.setState('reconnecting');
      await this.pause(outcome === 'was-live' ? this.jitter(this.retryMs) : this.backoff());
    }
  }

  private backoff(): number {
    const delay = Math.min(this.retryMs * 2 ** this.attempt, this.maxDelayMs);
    this.attempt += 1;
    return this.jitter(delay);
  }

  private jitter(ms: number): number {
    return Math.round(ms * (0.5 + Math.random() / 2));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private url(): string {
    const users = this.options.users;
    return users && users.length > 0
      ? `/v1/events?users=${encodeURIComponent(users.join(','))}`
      : '/v1/events';
  }

  /** One connection, until it ends. 'was-live': it had opened, so reconnect promptly. */
  private async connectOnce(): Promise<'failed' | 'was-live' | 'denied'> {
    const controller = new AbortController();
    this.controller = controller;
    const headers: Record<string, string> = {
      authorization: this.api.authorization,
      accept: 'text/event-stream',
    };
    if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
    let response: Response;
    try {
      response = await fetch(this.url(), { headers, cache: 'no-store', signal: controller.signal });
    } catch {
      return 'failed';
    }
    if (response.status === 401 || response.status === 403) {
      this.setState('denied');
      return 'denied';
    }
    if (!response.ok || !response.body) {
      void response.body?.cancel();
      return 'failed';
    }
    this.attempt = 0;
    this.setState('live');
    this.handlers.onOpen(this.lastEventId !== undefined);
    await this.read(response.body, controller);
    return 'was-live';
  }

  private async read(body: ReadableStream<Uint8Array>, controller: AbortController): Promise<void> {
    const parser = new SseParser((frame) => this.frame(frame));
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let idle = setTimeout(() => controller.abort(), this.idleTimeoutMs);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), this.idleTimeoutMs);
        parser.feed(decoder.decode(value, { stream: true }));
        if (parser.retry !== undefined) this.retryMs = parser.retry;
      }
    } catch {
      // aborted or the network failed: the loop reconnects
    } finally {
      clearTimeout(idle);
      controller.abort();
    }
  }

  private frame(frame: Frame): void {
    if (frame.id !== undefined) this.lastEventId = frame.id;
    let data: LiveEvent;
    try {
      data = JSON.parse(frame.data) as LiveEvent;
    } catch {
      return;
    }
    if (frame.event === 'resync-required') this.handlers.onResync(String(data.reason ?? 'unknown'));
    else this.handlers.onEvent({ ...data, type: data.type ?? frame.event });
  }

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.handlers.onState(state);
  }
}
