/**
 * The embedded default (src/bridge/redis/embedded.ts) seen from outside: with nothing answering at redis.url the
 * daemon starts its own redis-server on that loopback port, with AOF in embeddedDir, and takes it down on stop.
 * When that is not allowed or not possible, it exits non-zero with one actionable line on stderr.
 * These tests never touch the test Redis or port 6379: each uses a port nothing listens on.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pingRedis } from '../../src/bridge/redis/embedded.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import { CliProcess, killAll, requireBuild, tempDir, writeConfig } from './cli-process.js';

const ADMIN_KEY = 'embedded-admin-key-1a2b3c4d5e';

let dirs: string[] = [];
let strayPids: number[] = [];

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function config(redisPort: number, embedded: string, embeddedDir: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
redis:
  url: redis://127.0.0.1:${redisPort}
  keyPrefix: "${uniquePrefix('emb')}"
  embedded: ${embedded}
  embeddedDir: "${embeddedDir}"
auth:
  keys:
    - { name: ops-admin, role: admin, key: "${ADMIN_KEY}" }
`;
}

function launch(yaml: string, env: Record<string, string> = {}): { daemon: CliProcess; dir: string } {
  const dir = tempDir('pb-emb-');
  dirs.push(dir);
  return { daemon: new CliProcess(['--config', writeConfig(dir, yaml)], { cwd: dir, env }), dir };
}

/** Starts a daemon that should bring up its own redis-server; returns its URL and the redis-server pid. */
async function launchEmbedded(port: number, embeddedDir: string) {
  const { daemon } = launch(config(port, 'auto', embeddedDir));
  const started = await daemon.waitForLog('started embedded redis-server', 15_000);
  if (typeof started.pid === 'number') strayPids.push(started.pid);
  const url = await daemon.baseUrl();
  await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
    timeoutMs: 10_000,
    what: '/health/ready 200',
  });
  return { daemon, url, started };
}

beforeAll(() => {
  requireBuild();
});

afterEach(async () => {
  await killAll();
  // A daemon killed with SIGKILL leaves its redis-server behind (documented); a test must not.
  for (const pid of strayPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  strayPids = [];
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('embedded redis-server', () => {
  it('starts one with AOF in embeddedDir when nothing answers, and stops it with the daemon', async () => {
    const port = await freePort();
    const embeddedDir = join(tempDir('pb-emb-data-'), 'redis');
    dirs.push(embeddedDir);
    expect(await pingRedis('127.0.0.1', port)).toBe(false);

    const { daemon, url, started } = await launchEmbedded(port, embeddedDir);
    expect(started).toMatchObject({ port, dir: embeddedDir });
    expect(typeof started.pid).toBe('number');
    const pid = started.pid as number;
    expect(daemon.logs().find((l) => l.msg === 'presence-bridge started')).toMatchObject({
      embeddedRedis: true,
    });
    expect(await pingRedis('127.0.0.1', port)).toBe(true);
    // Redis 7 keeps the AOF in appendonlydir/; older versions in appendonly.aof.
    const entries = readdirSync(embeddedDir);
    expect(entries.some((e) => e === 'appendonlydir' || e === 'appendonly.aof')).toBe(true);
    expect(
      (await fetch(`${url}/v1/status-types`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status,
    ).toBe(200);

    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(daemon.logs().map((l) => l.msg)).toContain('stopped embedded redis-server');
    expect(isAlive(pid)).toBe(false);
    expect(await pingRedis('127.0.0.1', port)).toBe(false);
  });

  it('keeps data across restarts (AOF): a status type created before a stop is there after a start', async () => {
    const port = await freePort();
    const embeddedDir = join(tempDir('pb-emb-data-'), 'redis');
    dirs.push(embeddedDir);
    const prefix = uniquePrefix('emb');
    const yaml = config(port, 'auto', embeddedDir).replace(/keyPrefix: "[^"]*"/, `keyPrefix: "${prefix}"`);
    const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

    const first = launch(yaml).daemon;
    const firstUrl = await first.baseUrl(15_000);
    const created = await fetch(`${firstUrl}/v1/status-types`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Training', color: '#123456' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    first.signal('SIGTERM');
    expect((await first.waitForExit()).code).toBe(0);
    expect(await pingRedis('127.0.0.1', port)).toBe(false);

    const second = launch(yaml).daemon;
    const secondUrl = await second.baseUrl(15_000);
    const again = await fetch(`${secondUrl}/v1/status-types/${id}`, { headers });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id, name: 'Training' });
    second.signal('SIGTERM');
    expect((await second.waitForExit()).code).toBe(0);
  });

  it('with embedded: never and nothing listening, exits 1 with one line on stderr saying what to do', async () => {
    const port = await freePort();
    const { daemon } = launch(config(port, 'never', './redis'));
    const exit = await daemon.waitForExit();
    expect(exit.code).toBe(1);
    const lines = daemon.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Redis does not answer at redis://127.0.0.1:${port}`);
    expect(lines[0]).toContain('redis.embedded is "never"');
    expect(lines[0]).toContain('apt-get install redis-server');
    expect(lines[0]).toContain('PB_REDIS_URL');
  });

  it('with a non-loopback URL that does not answer, says an embedded server cannot stand in for it', async () => {
    // TEST-NET-1 (RFC 5737): never routed, so nothing answers there.
    const { daemon } = launch(config(6379, 'auto', './redis').replace('127.0.0.1:6379', '192.0.2.1:6379'));
    const exit = await daemon.waitForExit();
    expect(exit.code).toBe(1);
    expect(daemon.stderr.trim().split('\n')).toHaveLength(1);
    expect(daemon.stderr).toContain('can only stand in for a loopback address');
  });

  it('without redis-server installed, says so and how to install it', async () => {
    const port = await freePort();
    // PATH without redis-server: the daemon itself is started by absolute path (process.execPath).
    const { daemon } = launch(config(port, 'auto', './redis'), { PATH: '/nonexistent' });
    const exit = await daemon.waitForExit();
    expect(exit.code).toBe(1);
    expect(daemon.stderr.trim().split('\n')).toHaveLength(1);
    expect(daemon.stderr).toContain('redis-server is not installed');
    expect(daemon.stderr).toContain('sudo apt-get install redis-server');
    expect(existsSync(join(dirs.at(-1) ?? '', 'redis'))).toBe(true); // it got as far as preparing embeddedDir
  });
});
