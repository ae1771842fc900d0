/**
 * The embedded default: when nothing answers at the configured Redis URL and `redis.embedded` allows it, start a
 * private `redis-server` child on that loopback port with persistence on (AOF, appendfsync everysec) in
 * `embeddedDir`, and stop it when the daemon stops. A daemon killed with -9 leaves the child running; the next
 * start finds it answering and simply uses it, so no data and no port are lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { hostPortOf } from './connection.js';

export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

/** Sends PING over a raw socket: answers true only if a Redis (or something speaking RESP) replies. */
export function pingRedis(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => finish(/^(\+PONG|-NOAUTH|-ERR)/.test(chunk.toString('latin1'))));
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface EmbeddedRedis {
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface EnsureRedisOptions {
  url: string;
  embedded: 'auto' | 'always' | 'never';
  embeddedDir: string;
  log: Logger;
  /** How long to wait for the child to answer PING. */
  startTimeoutMs?: number;
}

const HINT =
  'Start Redis (Debian/Ubuntu: sudo apt-get install redis-server), or point redis.url / PB_REDIS_URL at a running Redis.';

/**
 * Returns null when the configured Redis answers (or embedded is never and it does not: then throws), or the
 * started child. Throws RedisUnavailableError with one clear, actionable message when neither works.
 */
export async function ensureRedis(options: EnsureRedisOptions): Promise<EmbeddedRedis | null> {
  const { host, port } = hostPortOf(options.url);
  if (options.embedded !== 'always' && (await pingRedis(host, port))) return null;
  if (options.embedded === 'never') {
    throw new RedisUnavailableError(
      `Redis does not answer at ${options.url} and redis.embedded is "never". ${HINT}`,
    );
  }
  if (!LOOPBACK.has(host)) {
    throw new RedisUnavailableError(
      `Redis does not answer at ${options.url}; an embedded redis-server can only stand in for a loopback address. ${HINT}`,
    );
  }
  return startChild(host === 'localhost' ? '127.0.0.1' : host, port, options);
}

async function startChild(host: string, port: number, options: EnsureRedisOptions): Promise<EmbeddedRedis> {
  const dir = resolve(options.embeddedDir);
  mkdirSync(dir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--bind',
    host,
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--logfile',
    'redis.log',
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  await new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        new RedisUnavailableError(
          err.code === 'ENOENT'
            ? `Redis does not answer at ${options.url} and redis-server is not installed, so none can be started. ${HINT}`
            : `cannot start redis-server: ${err.message}. ${HINT}`,
        ),
      ),
    );
  });
  await waitUntilAnswering(child, host, port, options.startTimeoutMs ?? 10_000);
  options.log.info(
    { pid: child.pid, port, dir },
    'started embedded redis-server (AOF on, appendfsync everysec)',
  );
  return { pid: child.pid, stop: () => stopChild(child, options.log) };
}

async function waitUntilAnswering(
  child: ChildProcess,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new RedisUnavailableError(
        `embedded redis-server exited with code ${child.exitCode} (see its redis.log). ${HINT}`,
      );
    }
    if (await pingRedis(host, port, 200)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`embedded redis-server did not answer within ${timeoutMs} ms. ${HINT}`);
}

async function stopChild(child: ChildProcess, log: Logger): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM'); // redis-server flushes the AOF and exits on SIGTERM
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  log.info({ pid: child.pid }, 'stopped embedded redis-server');
}
