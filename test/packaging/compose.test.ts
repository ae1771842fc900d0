/**
 * docker/compose.yaml, docker/Dockerfile and docker/presence-bridge.service against the code they package:
 * service names, ports and environment variable names the config loader understands, Redis persistence, the
 * health check (parsed, and also run against a real daemon), and the systemd start and stop settings.
 * There is no Docker engine in CI, so the files are read, not built.
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { cleanEnv, tempDir, writeConfig } from '../daemon/cli-process.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freePort } from '../harness/redis-server.js';
import {
  DEFAULTS,
  dockerfileInstructions,
  read,
  REPO_ROOT,
  seconds,
  understoodEnvVars,
  unitEntries,
} from './packaging.js';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker/compose.yaml')) as Compose;
const bridge = compose.services['presence-bridge'] as ComposeService;
const redis = compose.services.redis as ComposeService;
const dockerfile = dockerfileInstructions(read('docker/Dockerfile'));
const unit = unitEntries(read('docker/presence-bridge.service'));
const shutdownSeconds = DEFAULTS.server.shutdownTimeoutMs / 1000;

const instruction = (keyword: string) => dockerfile.filter((i) => i.keyword === keyword);
const lastStage = () => dockerfile.slice(dockerfile.map((i) => i.keyword).lastIndexOf('FROM'));

/** The HEALTHCHECK's exec-form command, e.g. ["node", "dist/main.js", "healthcheck"]. */
function healthcheckCommand(): string[] {
  const [check] = instruction('HEALTHCHECK');
  const json = /\bCMD\s+(\[.*\])\s*$/.exec(check?.args ?? '')?.[1];
  if (!json)
    throw new Error('HEALTHCHECK must use the exec form: CMD ["node", "dist/main.js", "healthcheck"]');
  return JSON.parse(json) as string[];
}

describe('docker/compose.yaml', () => {
  it('has exactly the presence-bridge and redis services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['presence-bridge', 'redis']);
  });

  it('publishes the default server.port of the config schema', () => {
    expect(bridge.ports).toEqual([`${DEFAULTS.server.port}:${DEFAULTS.server.port}`]);
  });

  it('sets only environment variables that src/bridge/config/load.ts understands', () => {
    const understood = understoodEnvVars();
    expect(understood).toContain('PB_REDIS_URL'); // the reader found the loader's variables at all
    expect(Object.keys(bridge.environment ?? {}).filter((name) => !understood.has(name))).toEqual([]);
  });

  it('points the daemon at the redis service and requires an admin key', () => {
    const env = bridge.environment ?? {};
    expect(env.PB_REDIS_URL).toBe('redis://redis:6379');
    expect(env.PB_REDIS_EMBEDDED).toBe('never'); // the image has no redis-server
    expect(env.PB_ADMIN_KEY).toMatch(/^\$\{PB_ADMIN_KEY:\?.+\}$/);
  });

  it('runs redis with AOF persistence (appendfsync everysec) on a named volume', () => {
    const command = (redis.command ?? []).join(' ');
    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--appendfsync everysec\b/);
    const [volume] = redis.volumes ?? [];
    const [name, target] = (volume ?? '').split(':');
    expect(target).toBe('/data');
    expect(Object.keys(compose.volumes ?? {})).toContain(name);
  });

  it('starts the daemon only once redis is healthy', () => {
    expect(bridge.depends_on?.redis?.condition).toBe('service_healthy');
    expect(redis.healthcheck?.test).toEqual(expect.arrayContaining(['redis-cli', 'ping']));
  });

  it('gives a graceful stop longer than server.shutdownTimeoutMs', () => {
    expect(seconds(bridge.stop_grace_period ?? '10s')).toBeGreaterThan(shutdownSeconds);
  });

  it('builds the image from docker/Dockerfile with the repository as context', () => {
    const context = join(REPO_ROOT, 'docker', bridge.build?.context ?? '.');
    expect(existsSync(join(context, bridge.build?.dockerfile ?? ''))).toBe(true);
    expect(existsSync(join(context, 'package.json'))).toBe(true);
  });
});

describe('docker/compose.two.yaml', () => {
  const two = parse(read('docker/compose.two.yaml'), { merge: true }) as Compose & {
    services: Record<string, ComposeService & { restart?: string; hostname?: string }>;
  };
  const bridges = ['bridge-1', 'bridge-2'].map(
    (name) =>
      two.services[name] as ComposeService & {
        restart?: string;
        hostname?: string;
      },
  );

  it('runs two daemons and one redis with AOF on a named volume', () => {
    expect(Object.keys(two.services).sort()).toEqual(['bridge-1', 'bridge-2', 'redis']);
    expect((two.services.redis?.command ?? []).join(' ')).toMatch(/--appendonly yes --appendfsync everysec/);
    expect(Object.keys(two.volumes ?? {})).toContain('redis-data');
  });

  it('gives each daemon what compose.yaml gives its one: health-gated start, restarts, a long stop', () => {
    for (const b of bridges) {
      expect(b.depends_on?.redis?.condition).toBe('service_healthy');
      expect(b.restart).toBe('unless-stopped');
      expect(seconds(b.stop_grace_period ?? '10s')).toBeGreaterThan(shutdownSeconds);
      expect(b.environment?.PB_REDIS_URL).toBe('redis://redis:6379');
      expect(b.environment?.PB_ADMIN_KEY).toMatch(/^\$\{PB_ADMIN_KEY:\?.+\}$/);
      const understood = understoodEnvVars();
      expect(Object.keys(b.environment ?? {}).filter((name) => !understood.has(name))).toEqual([]);
    }
    expect(two.services.redis?.healthcheck?.test).toEqual(expect.arrayContaining(['redis-cli', 'ping']));
  });

  it('publishes each daemon on its own port and mounts no file that does not exist', () => {
    expect(bridges.map((b) => b.ports)).toEqual([['8081:8080'], ['8082:8080']]);
    for (const b of bridges) {
      for (const volume of b.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.')) expect(existsSync(join(REPO_ROOT, 'docker', source)), volume).toBe(true);
      }
      // Distinct container host names, so the default node names differ and the PBX lease owners are clear.
      expect(b.hostname).toBeDefined();
    }
    expect(new Set(bridges.map((b) => b.hostname)).size).toBe(2);
  });
});

describe('docker/Dockerfile', () => {
  it('builds in its own stage and runs on a slim Node image as a non-root user', () => {
    const froms = instruction('FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const stage = lastStage();
    const runs = stage.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('npm ci --omit=dev'))).toBe(true);
    expect(dockerfile.some((i) => i.keyword === 'RUN' && i.args.includes('npm run build'))).toBe(true);
    const user = stage.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const nodeImage = instruction('ARG').find((i) => i.args.startsWith('NODE_IMAGE='))?.args ?? '';
    expect(nodeImage).toMatch(/^NODE_IMAGE=node:\d+-\w+-slim$/);
  });

  it('exposes the default server.port and runs dist/main.js', () => {
    expect(instruction('EXPOSE').map((i) => i.args)).toEqual([String(DEFAULTS.server.port)]);
    expect(JSON.parse(instruction('CMD').at(-1)?.args ?? '[]')).toEqual(['node', 'dist/main.js']);
  });

  it('reads its configuration from PB_CONFIG, which the loader understands', () => {
    const env = lastStage()
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    const names = [...env.matchAll(/\b(PB_[A-Z0-9_]+)=/g)].map((m) => m[1] as string);
    expect(names).toContain('PB_CONFIG');
    const understood = understoodEnvVars();
    expect(names.filter((name) => !understood.has(name))).toEqual([]);
  });

  it('copies only paths that exist in the repository', () => {
    const sources = instruction('COPY')
      .filter((i) => !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((path) => !existsSync(join(REPO_ROOT, path)))).toEqual([]);
  });

  it("health-checks with the daemon's own healthcheck command (no curl in slim images)", () => {
    expect(healthcheckCommand()).toEqual(['node', 'dist/main.js', 'healthcheck']);
    expect(read('src/bridge/http/routes/health.ts')).toContain("'/health/ready'");
  });

  it('copies dist/, which holds the web console, into the runtime image', () => {
    const copies = lastStage()
      .filter((i) => i.keyword === 'COPY')
      .map((i) => i.args);
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies.some((c) => c.includes('console/dist'))).toBe(false);
    expect(read('src/bridge/http/routes/console.ts')).toContain("'../../../../dist/console'");
  });
});

describe('the Dockerfile health check, run against a daemon', () => {
  let daemon: TestDaemon;

  beforeAll(async () => {
    daemon = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** Runs the HEALTHCHECK command from the image's working directory, with the given environment. */
  function runHealthcheck(env: Record<string, string>): Promise<number> {
    const [, ...args] = healthcheckCommand();
    return new Promise((resolve) => {
      const child = execFile(process.execPath, args, { cwd: REPO_ROOT, env: cleanEnv(env) });
      child.once('exit', (code) => resolve(code ?? -1));
    });
  }

  it('passes (exit 0) while the daemon is ready, on the port PB_SERVER_PORT names', async () => {
    expect(await runHealthcheck({ PB_SERVER_PORT: new URL(daemon.url).port })).toBe(0);
  });

  it('follows server.port of a mounted configuration file (PB_CONFIG)', async () => {
    const dir = tempDir('pb-health-');
    const file = writeConfig(dir, `server: { port: ${new URL(daemon.url).port} }\n`);
    expect(await runHealthcheck({ PB_CONFIG: file })).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails (exit 1) when nothing answers', async () => {
    expect(await runHealthcheck({ PB_SERVER_PORT: String(await freePort()) })).toBe(1);
  });
});

describe('docker/presence-bridge.service', () => {
  const one = (key: string) => unit.get(key)?.at(-1);

  it('runs the installed package from /opt/presence-bridge as a dedicated user', () => {
    expect(one('ExecStart')).toMatch(
      /^\S*node \/opt\/presence-bridge\/node_modules\/presence-bridge\/dist\/main\.js$/,
    );
    expect(one('WorkingDirectory')).toBe('/opt/presence-bridge');
    expect(one('User')).toBe('presence-bridge');
    expect(one('EnvironmentFile')).toMatch(/^-?\/etc\/presence-bridge\//);
  });

  it('restarts on failure and stops with SIGTERM, waiting longer than server.shutdownTimeoutMs', () => {
    expect(one('Restart')).toBe('on-failure');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(seconds(one('TimeoutStopSec') ?? '0')).toBeGreaterThan(shutdownSeconds);
  });

  it('keeps the daemon writable only where it writes (its data directory)', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    // The default data paths are relative to WorkingDirectory and all below ./data.
    expect(DEFAULTS.redis.embeddedDir).toMatch(/^\.\/data\//);
    expect(DEFAULTS.auth.generatedKeyFile).toMatch(/^\.\/data\//);
    expect(one('ReadWritePaths')).toBe('/opt/presence-bridge/data');
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false); // V8's JIT would crash
  });

  it('sets only PB_ variables the loader understands', () => {
    const names = (unit.get('Environment') ?? [])
      .map((e) => e.split('=')[0] ?? '')
      .filter((n) => n.startsWith('PB_'));
    expect(names).toContain('PB_CONFIG');
    const understood = understoodEnvVars();
    expect(names.filter((name) => !understood.has(name))).toEqual([]);
  });
});
