/**
 * Shared pieces of the fault suite (npm run test:faults): the short/full switch, a child daemon on a fixed port
 * (so a restarted daemon answers where the load generator already sends), an HTTP client that never hangs and
 * turns network errors into status 0, the figure line each file prints, and the PBX-side checks "the fake PBX
 * shows what the user's current status type wants".
 */
import { readFileSync } from 'node:fs';
import { CliProcess, tempDir, writeConfig } from '../daemon/cli-process.js';
import type { FakeAmiServer } from '../fakes/fake-ami-server.js';
import type { Fake3cxServer } from '../fakes/fake-3cx-server.js';
import { KEYS } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

/** FAULTS_SHORT=1: the CI form (whole suite under 5 minutes on 2 cores). */
export const SHORT = process.env.FAULTS_SHORT === '1';
export const size = <T>(short: T, full: T): T => (SHORT ? short : full);

/** The one result line of a fault file. */
export function figure(line: string): void {
  console.log(`faults: ${line}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of the API, read field by field in tests
export type Json = any;

export interface Reply {
  /** HTTP status, or 0 when the request got no answer (connection refused or reset, timeout). */
  status: number;
  body: Json;
  ms: number;
  /** For status 0: the network error's code (ECONNREFUSED: the request certainly reached no daemon). */
  error?: string;
}

/** One request with a bearer key; never throws and never waits longer than `timeoutMs`. */
export async function call(
  base: string,
  key: string | null,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 5_000,
): Promise<Reply> {
  const started = performance.now();
  try {
    const response = await fetch(base + path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. /metrics): keep the text
    }
    return { status: response.status, body: parsed, ms: performance.now() - started };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    const error = cause?.code ?? (err as Error).name;
    return { status: 0, body: undefined, ms: performance.now() - started, error };
  }
}

/** call() as admin that must succeed (setup steps). */
export async function must(base: string, method: string, path: string, body?: unknown): Promise<Json> {
  const reply = await call(base, KEYS.admin, method, path, body);
  if (reply.status < 200 || reply.status >= 300) {
    throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body) ?? reply.error}`);
  }
  return reply.body;
}

/** Every user (GET /v1/users, all pages). */
export async function allUsers(base: string): Promise<Json[]> {
  const users: Json[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await must(base, 'GET', `/v1/users?limit=500${query}`);
    users.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return users;
}

export interface StatusTypeView {
  id: string;
  allowedMinutes: number | null;
  keepOnConnectionLoss: boolean;
  callHandling: { queueLogin: boolean };
  pbxPresence: {
    freepbx: { dnd: boolean; queues: 'pause' | 'logout'; pauseReason: string };
    '3cx': { profile: string };
  };
}

export async function statusTypes(base: string): Promise<Map<string, StatusTypeView>> {
  const list = (await must(base, 'GET', '/v1/status-types')) as
    { items?: StatusTypeView[] } | StatusTypeView[];
  const items = Array.isArray(list) ? list : (list.items ?? []);
  return new Map(items.map((t) => [t.id, t]));
}

// ------------------------------------------------------------------------------------------------ child daemon

export interface ChildDaemonOptions {
  redisUrl: string;
  prefix: string;
  /** Fixed port, so a restarted daemon is found at the same address. */
  port: number;
  pbx?: unknown[];
  /** Sections merged over the defaults below (shallowly, per section). */
  sections?: Record<string, Record<string, unknown>>;
  /** Extra API keys (e.g. one agent key per load user). */
  keys?: Array<{ name: string; role: string; key: string; userId?: string }>;
}

/** Keys of every role, as test/harness/daemon.ts names them, so tests share one vocabulary. */
const ROLE_KEYS = [
  { name: 'admin', role: 'admin', key: KEYS.admin },
  { name: 'supervisor', role: 'supervisor', key: KEYS.supervisor },
  { name: 'integration', role: 'integration', key: KEYS.integration },
  { name: 'agent-u1', role: 'agent', userId: 'u1', key: KEYS.agent },
  { name: 'agent-u2', role: 'agent', userId: 'u2', key: KEYS.agent2 },
];

/** Writes the config file once; start() may then be called again after each kill. */
export class ChildDaemon {
  readonly configPath: string;
  cli: CliProcess | undefined;
  readonly base: string;
  /** Every process started, for the figure lines and for failure output. */
  readonly started: CliProcess[] = [];

  constructor(options: ChildDaemonOptions) {
    const sections = options.sections ?? {};
    const config = {
      server: { host: '127.0.0.1', port: options.port, shutdownTimeoutMs: 2_000, ...sections.server },
      redis: {
        url: options.redisUrl,
        keyPrefix: options.prefix,
        embedded: 'never',
        partitions: 4,
        commandTimeoutMs: 1_000,
        connectTimeoutMs: 1_000,
        ...sections.redis,
      },
      auth: { keys: [...ROLE_KEYS, ...(options.keys ?? [])] },
      status: { ...sections.status },
      sync: { backoffMs: 50, attempts: 20, ...sections.sync },
      ha: { leaseTtlMs: 1_000, ...sections.ha },
      log: { level: 'info', ...sections.log },
      ...(sections.webhooks ? { webhooks: sections.webhooks } : {}),
      pbx: options.pbx ?? [],
      // Any other section (events, reports, ...) as given.
      ...Object.fromEntries(
        Object.entries(sections).filter(
          ([name]) => !['server', 'redis', 'status', 'sync', 'ha', 'log'].includes(name),
        ),
      ),
    };
    this.configPath = writeConfig(tempDir('pb-faults-'), JSON.stringify(config, null, 2));
    this.base = `http://127.0.0.1:${options.port}`;
  }

  /** Starts a daemon process and resolves once it listens ("presence-bridge started"). */
  async start(timeoutMs = 20_000): Promise<CliProcess> {
    const cli = new CliProcess(['--config', this.configPath]);
    this.cli = cli;
    this.started.push(cli);
    await cli.baseUrl(timeoutMs);
    return cli;
  }

  /** kill -9, and wait until the process is gone. */
  async kill(): Promise<void> {
    const cli = this.cli;
    if (!cli) return;
    cli.signal('SIGKILL');
    await cli.closed;
  }

  /** Resident memory of the running process (MiB), from /proc. */
  rssMiB(): number {
    const pid = this.cli?.child.pid;
    if (!pid) return 0;
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  }

  /** Lines at level error or fatal over every process started (an unhandled error is a finding). */
  errors(): string[] {
    return this.started.flatMap((cli) =>
      cli
        .logs()
        .filter((line) => line.level >= 50)
        .map((line) => JSON.stringify(line)),
    );
  }
}

/** Waits until every PBX connection reports connected. */
export async function waitPbxConnected(base: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const reply = await call(base, KEYS.admin, 'GET', '/v1/pbx', undefined, 1_000);
      return reply.status === 200 && reply.body.connections.every((c: Json) => c.connected);
    },
    { timeoutMs, intervalMs: 50, what: 'PBX connected' },
  );
}

// ------------------------------------------------------------------------------------------------ PBX checks

/** FreePBX queue member interface of an extension (the adapter's default template). */
const memberOf = (ext: string): string => `Local/${ext}@from-queue/n`;

/**
 * Why the fake AMI server does not show what `type` wants for `ext` (in `queues`: an unpaused member with queue
 * login, else a member paused with the type's reason, or no member for a type that logs out; DND in AstDB), or null.
 */
export function freepbxMismatch(
  fake: FakeAmiServer,
  ext: string,
  queues: string[],
  type: StatusTypeView,
): string | null {
  const { queues: mode, pauseReason } = type.pbxPresence.freepbx;
  const wantMember = type.callHandling.queueLogin || mode === 'pause';
  for (const queue of queues) {
    const member = fake.member(queue, memberOf(ext));
    if (Boolean(member) !== wantMember)
      return `${ext}: ${wantMember ? 'not' : 'still'} a member of queue ${queue} in ${type.id}`;
    const wantPause = type.callHandling.queueLogin ? '' : pauseReason;
    const pause = member?.paused ? member.reason : '';
    if (member && pause !== wantPause)
      return `${ext}: paused "${pause}" in queue ${queue}, want "${wantPause}" (${type.id})`;
  }
  const dnd = Boolean(fake.db.get(`DND/${ext}`));
  if (dnd !== type.pbxPresence.freepbx.dnd) return `${ext}: DND ${dnd ? 'on' : 'off'} in ${type.id}`;
  return null;
}

/** Why the fake 3CX does not show what `type` wants for `ext` (profile, queue status), or null. */
export function threeCxMismatch(fake: Fake3cxServer, ext: string, type: StatusTypeView): string | null {
  const user = fake.user(ext);
  if (user.CurrentProfileName !== type.pbxPresence['3cx'].profile)
    return `${ext}: profile ${user.CurrentProfileName}, want ${type.pbxPresence['3cx'].profile} (${type.id})`;
  const queue = type.callHandling.queueLogin ? 'LoggedIn' : 'LoggedOut';
  if (user.QueueStatus !== queue)
    return `${ext}: queue status ${user.QueueStatus}, want ${queue} (${type.id})`;
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A pause for a load generator's pacing (never used to wait for an outcome). */
export const pace = (minMs: number, maxMs: number): Promise<void> =>
  sleep(minMs + Math.random() * (maxMs - minMs));
