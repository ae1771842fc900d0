/** A small keep-alive JSON client for setup traffic and probes, and a bounded-concurrency loop. */
import { Agent, request } from 'node:http';

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- benchmark code reads arbitrary JSON replies
  body: any;
}

export class Api {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    base: string,
    private readonly key: string,
    maxSockets = 64,
  ) {
    const url = new URL(base);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.key}`,
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like call(), but anything outside `expected` is an error naming the request. */
  async expect(method: string, path: string, body: unknown, expected: number[]): Promise<ApiResponse> {
    const res = await this.call(method, path, body);
    if (!expected.includes(res.status))
      throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `work(i)` for i in [0, count) with at most `concurrency` at a time; the first failure stops it. */
export async function forEachLimit(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async (): Promise<void> => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await work(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  if (failed !== undefined) throw failed;
}

/** Polls `probe` until truthy; throws after `timeoutMs`. */
export async function until<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
