/**
 * Server-Sent Events framing on a raw Node response (fastify's reply is hijacked: a stream that never ends does
 * not fit its request/response cycle). Events are single-line `data:` JSON; comments keep proxies from timing
 * out an idle stream.
 */
import type { ServerResponse } from 'node:http';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // nginx would otherwise buffer the stream and deliver events in bursts.
  'x-accel-buffering': 'no',
} as const;

/** What a session writes to (a port, so sessions are tested without sockets). */
export interface EventWriter {
  readonly backlog: number;
  whenClosed(): Promise<void>;
  open(retryMs: number): void;
  event(type: string, data: string, id?: string): boolean;
  comment(text: string): void;
  drained(): Promise<void>;
  end(): Promise<void>;
  abort(): void;
}

export class SseWriter implements EventWriter {
  private readonly closedPromise: Promise<void>;

  constructor(private readonly res: ServerResponse) {
    this.closedPromise = new Promise((resolve) => res.once('close', () => resolve()));
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Bytes written but not yet taken by the client's socket. */
  get backlog(): number {
    return this.res.writableLength;
  }

  /** Resolves when the response is finished or the client went away. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** Sends the headers and the reconnection delay hint. */
  open(retryMs: number): void {
    this.res.writeHead(200, SSE_HEADERS);
    this.write(`retry: ${retryMs}\n\n`);
  }

  /** One event; `data` must be a single line (JSON without indentation is). False: the client is behind. */
  event(type: string, data: string, id?: string): boolean {
    return this.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${data}\n\n`);
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  /** Resolves once the client has taken the backlog (or went away). */
  drained(): Promise<void> {
    if (this.closed || this.backlog === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  end(): Promise<void> {
    if (!this.closed) this.res.end();
    return this.closedPromise;
  }

  /** Cuts the connection without finishing the stream (a client that stopped reading). */
  abort(): void {
    this.res.destroy();
  }

  private write(chunk: string): boolean {
    return this.closed ? false : this.res.write(chunk);
  }
}
