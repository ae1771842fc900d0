/**
 * The built command line (dist/main.js) as a child process, for lifecycle and CLI tests. Output is collected
 * as it arrives; tests wait on output or exit events with a deadline, never on a sleep. Every process started
 * here is registered so `killAll()` (call it in afterEach) leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(REPO_ROOT, 'dist', 'main.js');

/** dist/main.js, or a clear error: these tests run the build, which `npm test` makes first. */
export function requireBuild(): string {
  if (!existsSync(MAIN)) {
    throw new Error(
      `${MAIN} is missing: run "npm run build" first ("npm test" builds before running vitest)`,
    );
  }
  return MAIN;
}

/** The parent's environment minus PB_* and PORT, so a developer's shell cannot change what a test sees. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PB_') && name !== 'PORT') env[name] = value;
  }
  return { ...env, ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One pino line: level (30 info, 40 warn, 50 error, 60 fatal), msg, and the fields. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Run this program with the arguments instead of `node dist/main.js` (e.g. an installed `presence-bridge`). */
  executable?: string;
}

const running = new Set<CliProcess>();

export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves once the process has exited and its output is fully read. */
  readonly closed: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(args: string[], options: CliOptions = {}) {
    const [program, argv] = options.executable
      ? [options.executable, args]
      : [process.execPath, [requireBuild(), ...args]];
    this.child = spawn(program, argv, {
      cwd: options.cwd ?? REPO_ROOT,
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    this.closed = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
        this.notify();
      });
    });
  }

  get isRunning(): boolean {
    return this.exit === undefined;
  }

  /** stdout and stderr, for failure messages and "no secret leaked" checks. */
  get output(): string {
    return `--- stdout\n${this.stdout}--- stderr\n${this.stderr}`;
  }

  /** Parsed JSON log lines from stdout (anything that is not JSON is skipped). */
  logs(): LogLine[] {
    const lines: LogLine[] = [];
    for (const text of this.stdout.split('\n')) {
      if (!text.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        // a line still being written; the next notify() sees it whole
      }
    }
    return lines;
  }

  /** The first log line whose msg contains `msg`, waiting for it if need be. */
  waitForLog(msg: string, timeoutMs = 10_000): Promise<LogLine> {
    return this.waitUntil(
      () => this.logs().find((line) => line.msg.includes(msg)),
      timeoutMs,
      `log "${msg}"`,
    );
  }

  /** The first match of `pattern` in stdout (for non-JSON output), waiting for it if need be. */
  waitUntilOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return this.waitUntil(() => pattern.exec(this.stdout) ?? undefined, timeoutMs, `output ${pattern}`);
  }

  /** Waits for the exit; rejects (with the output) when it does not come before the deadline. */
  waitForExit(timeoutMs = 10_000): Promise<Exit> {
    return this.waitUntil(() => this.exit, timeoutMs, 'exit', true);
  }

  /** The daemon's HTTP base URL, from its "presence-bridge started" line (it listens on port 0 in tests). */
  async baseUrl(timeoutMs = 15_000): Promise<string> {
    const started = await this.waitForLog('presence-bridge started', timeoutMs);
    if (typeof started.address !== 'string') throw new Error(`no address in ${JSON.stringify(started)}`);
    return started.address;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  private waitUntil<T>(
    probe: () => T | undefined,
    timeoutMs: number,
    what: string,
    exitIsAnswer = false,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) return finish(() => resolve(found));
        if (!exitIsAnswer && this.exit !== undefined) {
          return finish(() =>
            reject(new Error(`exited (${JSON.stringify(this.exit)}) before ${what}\n${this.output}`)),
          );
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.output}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Runs `dist/main.js ARGS` to completion. */
export async function runCli(
  args: string[],
  options: CliOptions = {},
  timeoutMs = 15_000,
): Promise<Exit & { stdout: string; stderr: string }> {
  const cli = new CliProcess(args, options);
  const exit = await cli.waitForExit(timeoutMs);
  return { ...exit, stdout: cli.stdout, stderr: cli.stderr };
}

/** SIGKILLs whatever is still running and waits until it is gone. For afterEach. */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const cli of left) cli.child.kill('SIGKILL');
  await Promise.all(left.map((cli) => cli.closed));
}

/** A fresh temp directory, and a config file written into it. */
export function tempDir(name = 'pb-cli-'): string {
  return mkdtempSync(join(tmpdir(), name));
}

export function writeConfig(dir: string, yaml: string, name = 'config.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/**
 * Opens a request the daemon cannot finish: headers with `Expect: 100-continue` and a body that never comes.
 * Resolves once the server answered "100 Continue", i.e. the request is in flight on the server, so a graceful
 * stop must wait for it. Destroy the socket to let the stop finish.
 */
export function holdRequestOpen(baseUrl: string, key: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', reject);
    socket.setEncoding('latin1');
    socket.once('connect', () =>
      socket.write(
        [
          'POST /v1/status-types HTTP/1.1',
          `Host: ${hostname}:${port}`,
          `Authorization: Bearer ${key}`,
          'Content-Type: application/json',
          'Content-Length: 100',
          'Expect: 100-continue',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    let seen = '';
    socket.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.startsWith('HTTP/1.1 100')) resolve(socket);
      else if (seen.includes('\r\n')) reject(new Error(`expected 100 Continue, got: ${seen}`));
    });
  });
}
