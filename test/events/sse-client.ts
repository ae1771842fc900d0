/**
 * A real-socket Server-Sent Events client for tests: node:http, frames parsed as the EventSource spec says
 * (fields `id`, `event`, `data`, `retry`; lines starting with ':' are comments; a blank line ends an event).
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { waitFor } from '../harness/wait.js';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  json: any;
}

export interface ConnectOptions {
  key?: string;
  lastEventId?: string;
  headers?: Record<string, string>;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  body = '';
  ended = false;
  private buffer = '';

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    response.on('close', () => (this.ended = true));
    response.on('error', () => (this.ended = true));
  }

  static connect(url: string, options: ConnectOptions = {}): Promise<SseClient> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    return new Promise((resolve, reject) => {
      const req = request(url, { headers }, (res) =>
        resolve(new SseClient(res.statusCode ?? 0, res.headers, res)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The events of these types, in arrival order. */
  ofType(...types: string[]): SseEvent[] {
    return this.events.filter((e) => types.includes(e.event));
  }

  async next(predicate: (e: SseEvent) => boolean, what = 'an event'): Promise<SseEvent> {
    return waitFor(() => this.events.find(predicate), { what });
  }

  async count(n: number, predicate: (e: SseEvent) => boolean = () => true): Promise<SseEvent[]> {
    await waitFor(() => this.events.filter(predicate).length >= n, { what: `${n} events` });
    return this.events.filter(predicate);
  }

  close(): void {
    this.response.destroy();
  }

  private receive(chunk: string): void {
    this.body += chunk;
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      this.frame(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
    }
  }

  private frame(block: string): void {
    const fields: Record<string, string[]> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line !== '') {
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        (fields[name] ??= []).push(value);
      }
    }
    if (fields.retry?.[0]) this.retry = Number(fields.retry[0]);
    if (!fields.data) return;
    const data = fields.data.join('\n');
    this.events.push({
      id: fields.id?.[0],
      event: fields.event?.[0] ?? 'message',
      data,
      json: JSON.parse(data),
    });
  }
}
