/**
 * A lean Server-Sent Events client for latency measurement: each event is handed to `onEvent` with the
 * performance.now() of the chunk that completed it. Frames are parsed as the EventSource spec says (fields
 * `id`, `event`, `data`; ':' comments; a blank line ends an event).
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  /** `clock()` (default performance.now()) when the frame's last byte arrived. */
  receivedAt: number;
}

export class SseClient {
  private buffer = '';
  private response: IncomingMessage | undefined;
  private req: ClientRequest | undefined;

  constructor(
    private readonly onEvent: (e: SseEvent) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  connect(url: string, key: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { headers: { accept: 'text/event-stream', authorization: `Bearer ${key}` } },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${url} → ${res.statusCode}`));
            res.resume();
            return;
          }
          this.response = res;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => this.receive(chunk, this.clock()));
          res.on('error', () => undefined);
          resolve();
        },
      );
      this.req = req;
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.response?.destroy();
    this.req?.destroy();
  }

  private receive(chunk: string, at: number): void {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.frame(block, at);
    }
  }

  private frame(block: string, receivedAt: number): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    this.onEvent({ id, event, data: data.join('\n'), receivedAt });
  }
}
