/**
 * Child processes of a benchmark: the built daemon (`node dist/main.js --config <generated yaml>`) and the
 * baseline server. Each child logs to a file in the run's work directory, is registered for cleanup, and is
 * stopped with SIGTERM (SIGKILL after a grace period). RSS is read from /proc/<pid>/status (VmRSS).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { freePort } from '../../test/harness/redis-server.js';
import { onCleanup } from './cleanup.js';

export const ROOT = new URL('../../', import.meta.url).pathname;

export const KEYS = {
  admin: 'bench-admin-key-0123456789abcdef',
  integration: 'bench-integration-key-0123456789abcdef',
  supervisor: 'bench-supervisor-key-0123456789abcdef',
} as const;

export interface ChildHandle {
  name: string;
  pid: number;
  logFile: string;
  proc: ChildProcess;
  /** Resident set size in MiB, from /proc/<pid>/status. */
  rssMiB(): number;
  stop(): Promise<void>;
}

/** An environment without the daemon's own variables, so the generated file is the whole configuration. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PB_') && k !== 'PORT') env[k] = v;
  return env;
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

export function spawnChild(name: string, args: string[], workDir: string): ChildHandle {
  const logFile = join(workDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (proc.pid === undefined) throw new Error(`cannot start ${name}`);
  const pid = proc.pid;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (exited) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  const unregister = onCleanup(name, stop);
  return {
    name,
    pid,
    logFile,
    proc,
    rssMiB: () => rssMiB(pid),
    stop: () => unregister(),
  };
}

/** Last lines of a child's log, for error messages. */
export function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function waitHttp(
  child: ChildHandle,
  url: string,
  ok: (status: number) => boolean,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.proc.once('exit', () => (exited = true));
  for (;;) {
    if (exited || child.proc.exitCode !== null)
      throw new Error(`${child.name} exited during start:\n${logTail(child.logFile)}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (ok(res.status)) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${logTail(child.logFile)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface DaemonHandle extends ChildHandle {
  url: string;
  port: number;
}

export interface DaemonOptions {
  name: string;
  workDir: string;
  redisUrl: string;
  /** Port of the fake AMI server; the daemon gets one FreePBX connection "main" when given. */
  amiPort?: number;
  /** Sections merged over the defaults below (shallow per section). */
  config?: Record<string, Record<string, unknown>>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/** Production defaults except: loopback, no docs UI, log level warn, every role's key known. */
export async function startDaemon(options: DaemonOptions): Promise<DaemonHandle> {
  const port = await freePort();
  const config: Record<string, unknown> = {
    server: { host: '127.0.0.1', port, docs: false, shutdownTimeoutMs: 10_000, ...options.config?.server },
    redis: { url: options.redisUrl, keyPrefix: 'pb:', embedded: 'never', ...options.config?.redis },
    auth: {
      keys: [
        { name: 'bench-admin', role: 'admin', key: KEYS.admin },
        { name: 'bench-integration', role: 'integration', key: KEYS.integration },
        { name: 'bench-supervisor', role: 'supervisor', key: KEYS.supervisor },
      ],
    },
    log: { level: 'warn', ...options.config?.log },
    ...(options.config?.status ? { status: options.config.status } : {}),
    ...(options.config?.sync ? { sync: options.config.sync } : {}),
    ...(options.config?.webhooks ? { webhooks: options.config.webhooks } : {}),
    pbx: options.amiPort
      ? [
          {
            id: 'main',
            kind: 'freepbx',
            ami: { host: '127.0.0.1', port: options.amiPort, username: 'bridge', secret: 'secret' },
            ...options.config?.pbx,
          },
        ]
      : [],
  };
  // YAML is a superset of JSON: the generated file is plain JSON with a .yaml name.
  const file = join(options.workDir, `${options.name}.yaml`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = spawnChild(
    options.name,
    [...(options.nodeArgs ?? []), 'dist/main.js', '--config', file],
    options.workDir,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(child, `${url}/health/ready`, (s) => s === 200);
  return { ...child, url, port };
}

/** The baseline server (bench/baseline/server.ts) as its own node process, TypeScript through tsx. */
/** The baseline's data: the given users as hashes of 4 fields plus a version (what commitStatus-2.lua reads). */
export async function seedBaselineUsers(redis: Redis, userIds: readonly string[]): Promise<void> {
  const seed = redis.pipeline();
  for (const id of userIds)
    seed.hset(`bl:{u}:user:${id}`, 'status', 'active', 'since', new Date().toISOString(), 'by', 'x', 'v', 1);
  await seed.exec();
}

export async function startBaseline(workDir: string, redisUrl: string): Promise<DaemonHandle> {
  const port = await freePort();
  const child = spawnChild(
    'baseline',
    ['--import', 'tsx', 'bench/baseline/server.ts', '--port', String(port), '--redis', redisUrl],
    workDir,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(child, `${url}/ready`, (s) => s === 200);
  return { ...child, url, port };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based) → index 11 and 12 here
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The pid of the redis-server listening on `port` (it renames itself "redis-server 127.0.0.1:<port>"). */
export function redisPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.startsWith('redis-server') && cmdline.includes(`:${port}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** CPU used by a set of processes between start() and read(), in seconds per process name. */
export class CpuMeter {
  private readonly start: Map<string, number>;

  constructor(private readonly pids: Record<string, number | undefined>) {
    this.start = this.sample();
  }

  private sample(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, pid] of Object.entries(this.pids)) {
      if (name === 'bench') out.set(name, process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6);
      else if (pid !== undefined) out.set(name, cpuSeconds(pid));
    }
    return out;
  }

  /** Seconds of CPU per process since construction. */
  read(): Record<string, number> {
    const now = this.sample();
    const out: Record<string, number> = {};
    for (const [name, t] of now) out[name] = t - (this.start.get(name) ?? t);
    return out;
  }
}
