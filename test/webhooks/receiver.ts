/**
 * A real webhook receiver on loopback for tests and the benchmark: records every request (headers, body, when),
 * verifies Standard Webhooks signatures, and answers with whatever the test scripts (a status code, a delay,
 * or no answer at all). It can be closed and reopened on the same port (a receiver that is down).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- webhook payloads are read field by field
  json: any;
  receivedAt: number;
  /** What this request was answered with (0: not answered). */
  answered: number;
}

/** How to answer one request: a status (after an optional delay), or hang (never answer). */
export type Answer = { status: number; delayMs?: number } | 'hang';

/** The receiver's side of Standard Webhooks: true when `signature` is a valid v1 signature of the message. */
export function verifySignature(
  secret: string,
  id: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signature.split(' ').some((part) => {
    const [version, mac] = part.split(',');
    if (version !== 'v1' || !mac) return false;
    const given = Buffer.from(mac, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export class WebhookReceiver {
  readonly requests: Received[] = [];
  /** Decides each answer; default 204. */
  answer: (r: Received) => Answer = () => ({ status: 204 });
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Stops listening and cuts every connection (a receiver that went down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Distinct webhook-ids answered with a 2xx, in the order of their first such answer. */
  delivered(): Received[] {
    const seen = new Set<string>();
    return this.requests.filter((r) => {
      if (r.answered < 200 || r.answered >= 300 || seen.has(r.id)) return false;
      seen.add(r.id);
      return true;
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as is
      }
      const received: Received = {
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: Number(req.headers['webhook-timestamp'] ?? 0),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body,
        json,
        receivedAt: Date.now(),
        answered: 0,
      };
      this.requests.push(received);
      const answer = this.answer(received);
      if (answer === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      const send = (): void => {
        if (res.destroyed) return; // the sender gave up (timeout): not an answer it saw
        received.answered = answer.status;
        res.writeHead(answer.status).end();
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }
}
