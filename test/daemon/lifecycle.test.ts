/**
 * The daemon as operators run it: `node dist/main.js` in a child process against the test Redis, real signals,
 * real HTTP. It listens on port 0 and tells the address in its "presence-bridge started" log line, so no port
 * is guessed. Nothing sleeps: every wait is on an output line, an exit, or a poll with a deadline.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';
import {
  CliProcess,
  holdRequestOpen,
  killAll,
  requireBuild,
  tempDir,
  writeConfig,
  type LogLine,
} from './cli-process.js';

const ADMIN_KEY = 'lifecycle-admin-key-6b1f0c2e9d';
const WRONG_KEY = 'not-a-configured-key-3f9a7d1c';

let dirs: string[] = [];

function daemonConfig(redisUrl: string): string {
  return `
server: { host: 127.0.0.1, port: 0, shutdownTimeoutMs: 5000 }
redis: { url: "${redisUrl}", keyPrefix: "${uniquePrefix('life')}", embedded: never }
auth:
  keys:
    - { name: ops-admin, role: admin, key: "${ADMIN_KEY}" }
log: { level: info }
`;
}

function startDaemon(yaml: string): CliProcess {
  const dir = tempDir('pb-life-');
  dirs.push(dir);
  return new CliProcess(['--config', writeConfig(dir, yaml)], { cwd: dir });
}

/** Starts a daemon and waits until /health/ready answers 200. Returns it with its base URL. */
async function startReady(yaml: string): Promise<{ daemon: CliProcess; url: string }> {
  const daemon = startDaemon(yaml);
  const url = await daemon.baseUrl();
  await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
    timeoutMs: 10_000,
    what: '/health/ready 200',
  });
  return { daemon, url };
}

const get = (url: string, key?: string) =>
  fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});

const messages = (lines: LogLine[]) => lines.map((l) => l.msg);

beforeAll(() => {
  requireBuild();
});

afterEach(async () => {
  await killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('daemon lifecycle (child process, real signals)', () => {
  it('starts, serves the API behind keys, and stops on SIGTERM with exit 0 without logging keys', async () => {
    const { daemon, url } = await startReady(daemonConfig(inject('redisUrl')));

    const ready = await get(`${url}/health/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: { ok: true } } });
    // The start-up line says where the console and the docs are; the bare address leads to the console.
    expect(daemon.logs().find((l) => l.msg === 'presence-bridge started')).toMatchObject({
      console: `${url}/console`,
      docs: `${url}/docs`,
    });
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
    expect(messages(daemon.logs()).some((m) => m.startsWith('no admin key configured'))).toBe(false);

    const listed = await get(`${url}/v1/status-types`, ADMIN_KEY);
    expect(listed.status).toBe(200);
    const types = (await listed.json()) as Array<{ id: string; builtIn: boolean }>;
    expect(types.filter((t) => t.builtIn).map((t) => t.id)).toEqual(
      expect.arrayContaining(['active', 'idle', 'on-break', 'offline']),
    );
    expect(types.filter((t) => t.builtIn)).toHaveLength(4);

    const missing = await get(`${url}/v1/status-types`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const wrong = await get(`${url}/v1/status-types`, WRONG_KEY);
    expect(wrong.status).toBe(401);

    const stopAsked = Date.now();
    daemon.signal('SIGTERM');
    const exit = await daemon.waitForExit(5_000 + 2_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopAsked).toBeLessThan(5_000); // well inside shutdownTimeoutMs
    expect(messages(daemon.logs())).toEqual(expect.arrayContaining(['stopping', 'presence-bridge stopped']));
    expect(daemon.output).not.toContain(ADMIN_KEY);
    expect(daemon.output).not.toContain(WRONG_KEY);
  });

  it('with no config file and no keys, runs from env overrides and uses a generated admin key kept in data/admin.key', async () => {
    const cwd = tempDir('pb-life-');
    dirs.push(cwd);
    const daemon = new CliProcess([], {
      cwd, // no config/default.yaml here: built-in defaults + environment overrides
      env: {
        PB_SERVER_HOST: '127.0.0.1',
        PB_SERVER_PORT: '0',
        PB_REDIS_URL: inject('redisUrl'),
        PB_REDIS_KEY_PREFIX: uniquePrefix('life'),
        PB_REDIS_EMBEDDED: 'never',
      },
    });
    const url = await daemon.baseUrl();
    const keyFile = join(cwd, 'data', 'admin.key');
    expect(existsSync(keyFile)).toBe(true);
    const generated = readFileSync(keyFile, 'utf8').trim();
    expect(generated.length).toBeGreaterThanOrEqual(16);

    expect((await get(`${url}/v1/status-types`, generated)).status).toBe(200);
    const warning = daemon.logs().find((l) => l.msg.includes('generated admin key'));
    expect(warning).toMatchObject({ file: keyFile });
    expect(daemon.logs().find((l) => l.msg === 'configuration loaded')).toMatchObject({
      config: '(built-in defaults)',
    });
    expect(daemon.output).not.toContain(generated);

    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('with log.format pretty, writes readable lines, and warns when no key is an admin', async () => {
    const yaml = daemonConfig(inject('redisUrl'))
      .replace('role: admin', 'role: supervisor')
      .replace('log: { level: info }', 'log: { level: info, format: pretty }');
    const daemon = startDaemon(yaml);
    const started = await daemon.waitUntilOutput(/ INFO {2}presence-bridge started {2}(.*)\n/);
    const url = /address=(\S+)/.exec(started[1] as string)?.[1];
    expect(started[1]).toContain(`console=${url}/console docs=${url}/docs`);
    expect(daemon.stdout).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}no admin key configured: nobody can create status types/m,
    );
    expect(daemon.stdout).not.toMatch(/^\{/m); // no JSON line
    expect(daemon.stdout).not.toContain('\u001b['); // no colours: stdout is not a terminal
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(daemon.output).not.toContain(ADMIN_KEY);
  });

  it('stops gracefully on SIGINT too', async () => {
    const { daemon } = await startReady(daemonConfig(inject('redisUrl')));
    daemon.signal('SIGINT');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(daemon.logs().find((l) => l.msg === 'stopping')).toMatchObject({ signal: 'SIGINT' });
    expect(messages(daemon.logs())).toContain('presence-bridge stopped');
  });

  // Deterministic "stop still in progress": a request is held in flight (headers sent with Expect:
  // 100-continue, the body never comes), so the graceful stop waits on it until something else ends the process.
  it('exits at once, non-zero, on a second signal while the graceful stop is still waiting', async () => {
    const { daemon, url } = await startReady(daemonConfig(inject('redisUrl')));
    const socket = await holdRequestOpen(url, ADMIN_KEY);
    try {
      daemon.signal('SIGTERM');
      await daemon.waitForLog('stopping'); // the first signal is being handled
      daemon.signal('SIGINT');
      const exit = await daemon.waitForExit(3_000); // far less than shutdownTimeoutMs (5 s)
      expect(exit.code).toBe(130);
      expect(daemon.logs().find((l) => l.msg.includes('second signal'))).toMatchObject({ signal: 'SIGINT' });
      expect(messages(daemon.logs())).not.toContain('presence-bridge stopped');
    } finally {
      socket.destroy();
    }
  });

  it('gives up a stop that overruns server.shutdownTimeoutMs and exits 1', async () => {
    const yaml = daemonConfig(inject('redisUrl')).replace(
      'shutdownTimeoutMs: 5000',
      'shutdownTimeoutMs: 300',
    );
    const { daemon, url } = await startReady(yaml);
    const socket = await holdRequestOpen(url, ADMIN_KEY);
    try {
      daemon.signal('SIGTERM');
      const exit = await daemon.waitForExit(5_000);
      expect(exit.code).toBe(1);
      expect(daemon.logs().find((l) => l.msg.includes('graceful stop timed out'))).toMatchObject({
        timeoutMs: 300,
      });
    } finally {
      socket.destroy();
    }
  });

  it('refuses an invalid configuration with exit 1, naming each bad field, without starting', async () => {
    const daemon = startDaemon(`
server: { port: 70000 }
redis: { url: "http://localhost", embedded: sometimes }
auth:
  keys:
    - { name: short, role: admin, key: "too-short" }
`);
    const exit = await daemon.waitForExit();
    expect(exit.code).toBe(1);
    expect(daemon.stderr).toContain('invalid configuration in');
    expect(daemon.stderr).toMatch(/server\.port: .*65535/);
    expect(daemon.stderr).toMatch(/redis\.url: must start with redis:\/\//);
    expect(daemon.stderr).toMatch(/redis\.embedded: .*"auto"\|"always"\|"never"/);
    expect(daemon.stderr).toMatch(/auth\.keys\[0\]\.key: must be at least 16 characters/);
    expect(daemon.stderr).not.toContain('too-short');
    expect(daemon.stdout).not.toContain('presence-bridge started');
  });
});
