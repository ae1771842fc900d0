/**
 * A private redis-server for tests: free loopback port, own temp dir, no persistence unless asked.
 * Tests never touch a Redis the user runs. stop()/start() let fault tests take it away and bring it back
 * on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface TestRedisOptions {
  port?: number;
  /** AOF on (for restart tests that must keep data). */
  appendOnly?: boolean;
  extraArgs?: string[];
}

export class TestRedis {
  private child: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'pb-redis-'));
  port = 0;

  constructor(private readonly options: TestRedisOptions = {}) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.child) return this;
    if (!this.port) this.port = this.options.port ?? (await freePort());
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.options.appendOnly ? 'yes' : 'no',
      '--appendfsync',
      'everysec',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...(this.options.extraArgs ?? []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err) =>
        reject(
          new Error(`cannot start redis-server (${err.message}); install it: apt-get install redis-server`),
        ),
      );
      child.once('spawn', () => resolve());
    });
    await waitForPort(this.port);
    return this;
  }

  /** Stops the server (SIGTERM, or SIGKILL with `hard`) and waits for the process to exit. */
  async stop(hard = false): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
    this.child = null;
  }

  async destroy(): Promise<void> {
    await this.stop(true);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
