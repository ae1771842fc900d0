/**
 * Loading: file → ${ENV} interpolation → environment overrides → validation → deep freeze, and every way a file
 * can fail to load (missing, unreadable, bad YAML, not a mapping, unset variable).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig, type Env } from '../../src/bridge/config/load.js';
import { configSchema } from '../../src/bridge/config/schema.js';
import { errorOf, problemsFor, secret } from './problems.js';

let dir: string;
let n = 0;

/** Writes YAML to a fresh file and returns its path. */
function file(yaml: string): string {
  n += 1;
  const path = join(dir, `config-${n}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

const load = (yaml: string, env: Env = {}) => loadConfig({ path: file(yaml), env }).config;
const noDefaultFile = join('/nonexistent', 'default.yaml');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pb-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('defaults', () => {
  it('with no file at all, runs on the built-in defaults', () => {
    const { config, source } = loadConfig({ defaultPath: noDefaultFile, env: {} });
    expect(source).toBe('(built-in defaults)');
    expect(config).toEqual(configSchema.parse({}));
    expect(config.server).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      shutdownTimeoutMs: 10_000,
      docs: true,
    });
    expect(config.redis).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'pb:',
      embedded: 'auto',
      embeddedDir: './data/redis',
    });
    expect(config.auth).toEqual({ keys: [], generatedKeyFile: './data/admin.key' });
    expect(config.status).toMatchObject({ defaultOnShiftStart: 'active', connectionTimeoutSeconds: 90 });
    expect(config.log.level).toBe('info');
    expect(config.pbx).toEqual([]);
  });

  it('an empty file means all defaults; a partial section keeps the defaults of its other fields', () => {
    expect(load('')).toEqual(configSchema.parse({}));
    const config = load('server:\n  port: 9090\n');
    expect(config.server).toMatchObject({ port: 9090, host: '0.0.0.0', shutdownTimeoutMs: 10_000 });
  });

  it('fills pbx entry defaults', () => {
    const config = load(`
pbx:
  - { id: main, kind: freepbx, ami: { host: pbx.local, username: bridge, secret: s } }
  - { id: hq, kind: 3cx, url: "https://hq.example.com", clientId: c, clientSecret: s }
`);
    expect(config.pbx[0]).toMatchObject({
      ami: { port: 5038 },
      backoff: { initialMs: 500, maxMs: 30_000 },
      memberInterfaceTemplate: 'Local/{ext}@from-queue/n',
      presenceMap: {},
    });
    expect(config.pbx[1]).toMatchObject({ callEvents: 'websocket', externalCalls: { enabled: false } });
  });

  it('uses PB_CONFIG when no path is given, and the default file when neither is', () => {
    const fromEnv = file('server: { port: 9191 }\n');
    expect(loadConfig({ env: { PB_CONFIG: fromEnv } })).toMatchObject({
      source: fromEnv,
      config: { server: { port: 9191 } },
    });
    const fallback = file('server: { port: 9292 }\n');
    expect(loadConfig({ defaultPath: fallback, env: {} }).config.server.port).toBe(9292);
    // an explicit path wins over PB_CONFIG
    expect(loadConfig({ path: fallback, env: { PB_CONFIG: fromEnv } }).source).toBe(fallback);
  });
});

describe('${ENV} interpolation', () => {
  it('replaces ${NAME} inside strings, and ${NAME:-default} when NAME is unset or empty', () => {
    const yaml = `
redis:
  url: "redis://\${PB_T_HOST}:\${PB_T_PORT:-6390}/0"
  keyPrefix: "\${PB_T_PREFIX:-site1:}"
auth:
  keys:
    - { name: ops, role: admin, key: "\${PB_T_KEY}" }
`;
    const config = load(yaml, { PB_T_HOST: 'cache.local', PB_T_KEY: secret('env'), PB_T_PREFIX: '' });
    expect(config.redis.url).toBe('redis://cache.local:6390/0');
    expect(config.redis.keyPrefix).toBe('site1:');
    expect(config.auth.keys[0]?.key).toBe(secret('env'));
  });

  it('types an unquoted whole placeholder like YAML would (numbers, booleans); a quoted one stays a string', () => {
    const yaml = `
server:
  port: \${PB_T_PORT:-8181}
  docs: \${PB_T_DOCS:-false}
status:
  requireShift: \${PB_T_SHIFT}
pbx:
  - id: main
    kind: freepbx
    ami:
      host: pbx.local
      port: \${PB_T_AMI_PORT:-5038}
      username: bridge
      secret: "\${PB_T_AMI_SECRET}"
`;
    const config = load(yaml, { PB_T_SHIFT: 'true', PB_T_AMI_SECRET: '123456' });
    expect(config.server.port).toBe(8181);
    expect(config.server.docs).toBe(false);
    expect(config.status.requireShift).toBe(true);
    expect(config.pbx[0]).toMatchObject({ ami: { port: 5038, secret: '123456' } });
    expect(load(yaml, { PB_T_SHIFT: 'false', PB_T_AMI_SECRET: 's', PB_T_PORT: '9000' }).server.port).toBe(
      9000,
    );
  });

  it('names the unset variable and the field that needs it, once per field, with every other problem (and no made-up duplicates)', () => {
    const err = errorOf(() =>
      load(`
server: { port: 99999 }
auth:
  keys:
    - { name: ops, role: admin, key: "\${PB_T_MISSING_KEY}" }
    - { name: desk, role: supervisor, key: "\${PB_T_MISSING_KEY2}" }
pbx:
  - { id: main, kind: 3cx, url: "https://x.example.com", clientId: c, clientSecret: "\${PB_T_MISSING_3CX}" }
`),
    );
    expect(err.problems).toEqual([
      { path: 'auth.keys[0].key', message: 'environment variable PB_T_MISSING_KEY is not set' },
      { path: 'auth.keys[1].key', message: 'environment variable PB_T_MISSING_KEY2 is not set' },
      { path: 'pbx[0].clientSecret', message: 'environment variable PB_T_MISSING_3CX is not set' },
      { path: 'server.port', message: expect.stringMatching(/65535/) },
    ]);
  });

  it('treats an empty variable as unset', () => {
    expect(problemsFor({ redis: { url: '${PB_T_EMPTY}' } }, { PB_T_EMPTY: '' })).toEqual([
      { path: 'redis.url', message: 'environment variable PB_T_EMPTY is not set' },
    ]);
  });
});

describe('environment overrides', () => {
  const base = `
server: { host: 127.0.0.1, port: 8080 }
redis: { url: "redis://127.0.0.1:6379", keyPrefix: "file:", embedded: auto, embeddedDir: ./from-file }
log: { level: info }
auth:
  keys:
    - { name: ops, role: admin, key: "${secret('file')}" }
`;

  it('PB_* variables win over the file', () => {
    const config = load(base, {
      PB_SERVER_HOST: '0.0.0.0',
      PB_SERVER_PORT: '9000',
      PB_REDIS_URL: 'redis://redis:6379',
      PB_REDIS_KEY_PREFIX: 'env:',
      PB_REDIS_EMBEDDED: 'never',
      PB_REDIS_EMBEDDED_DIR: '/var/lib/pb/redis',
      PB_LOG_LEVEL: 'debug',
    });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 9000 });
    expect(config.redis).toMatchObject({
      url: 'redis://redis:6379',
      keyPrefix: 'env:',
      embedded: 'never',
      embeddedDir: '/var/lib/pb/redis',
    });
    expect(config.log.level).toBe('debug');
  });

  it('PORT sets the port when PB_SERVER_PORT is unset or empty; PB_SERVER_PORT wins over it', () => {
    expect(load(base, { PORT: '7000' }).server.port).toBe(7000);
    expect(load(base, { PORT: '7000', PB_SERVER_PORT: '' }).server.port).toBe(7000);
    expect(load(base, { PORT: '7000', PB_SERVER_PORT: '7001' }).server.port).toBe(7001);
  });

  it('PB_ADMIN_KEY adds an admin key named env-admin next to the configured ones', () => {
    const config = load(base, { PB_ADMIN_KEY: secret('from-env') });
    expect(config.auth.keys).toEqual([
      { name: 'ops', role: 'admin', key: secret('file') },
      { name: 'env-admin', role: 'admin', key: secret('from-env') },
    ]);
    expect(
      loadConfig({ defaultPath: noDefaultFile, env: { PB_ADMIN_KEY: secret('x') } }).config.auth.keys,
    ).toEqual([{ name: 'env-admin', role: 'admin', key: secret('x') }]);
  });

  it('PB_ADMIN_KEY is not added twice when the file already has an admin key "${PB_ADMIN_KEY}"', () => {
    const file = { auth: { keys: [{ name: 'admin', role: 'admin', key: '${PB_ADMIN_KEY}' }] } };
    const env = { PB_ADMIN_KEY: secret('from-env') };
    expect(validateConfig(file, 'test', env).auth.keys).toEqual([
      { name: 'admin', role: 'admin', key: secret('from-env') },
    ]);
    // The same secret on a key of another role is still two keys with one secret.
    const other = { auth: { keys: [{ name: 'sup', role: 'supervisor', key: '${PB_ADMIN_KEY}' }] } };
    expect(errorOf(() => validateConfig(other, 'test', env)).problems).toEqual([
      { path: 'auth.keys', message: 'two keys have the same secret' },
    ]);
  });

  it('a bad override is reported on its field, naming the variable that set it', () => {
    const err = errorOf(() =>
      load(base, { PB_SERVER_PORT: 'eighty', PB_REDIS_EMBEDDED: 'maybe', PB_ADMIN_KEY: 'short' }),
    );
    expect(err.problems).toEqual(
      expect.arrayContaining([
        { path: 'server.port', message: expect.stringMatching(/\(set by PB_SERVER_PORT\)$/) },
        { path: 'redis.embedded', message: expect.stringMatching(/\(set by PB_REDIS_EMBEDDED\)$/) },
        { path: 'auth.keys[1].key', message: 'must be at least 16 characters (set by PB_ADMIN_KEY)' },
      ]),
    );
    expect(err.problems).toHaveLength(3);
    expect(err.message).not.toContain('short ');
  });
});

describe('the loaded config', () => {
  it('is deeply frozen', () => {
    const config = load(`
auth:
  keys:
    - { name: ops, role: admin, key: "${secret(1)}" }
pbx:
  - { id: main, kind: freepbx, ami: { host: pbx.local, username: bridge, secret: s } }
`);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.auth.keys)).toBe(true);
    expect(Object.isFrozen(config.auth.keys[0])).toBe(true);
    expect(Object.isFrozen(config.pbx[0])).toBe(true);
    const mutable = config as unknown as { server: { port: number }; auth: { keys: unknown[] } };
    expect(() => {
      mutable.server.port = 1;
    }).toThrow(TypeError);
    expect(() => mutable.auth.keys.push({})).toThrow(TypeError);
    expect(config.server.port).toBe(8080);
  });

  it('validating twice gives independent results (defaults are not shared mutable state)', () => {
    const a = validateConfig({}, 'a', {});
    const b = validateConfig({ server: { port: 1234 } }, 'b', {});
    expect(a.server.port).toBe(8080);
    expect(b.server.port).toBe(1234);
  });
});

describe('files that cannot be loaded', () => {
  it('a missing file', () => {
    const path = join(dir, 'nope.yaml');
    const err = errorOf(() => loadConfig({ path, env: {} }));
    expect(err.source).toBe(path);
    expect(err.problems).toEqual([{ path: '(file)', message: 'cannot read: ENOENT' }]);
  });

  it('a path that is not a readable file', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    expect(errorOf(() => loadConfig({ path, env: {} })).problems).toEqual([
      { path: '(file)', message: 'cannot read: EISDIR' },
    ]);
  });

  it('bad YAML syntax names the line', () => {
    const problems = errorOf(() => load('server:\n  port: 8080\n  host: [unclosed\nredis: {}\n')).problems;
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]?.path).toMatch(/^line \d+$/);
    expect(problems[0]?.message).not.toBe('');
    expect(problems[0]?.message).not.toMatch(/:\s*$/);
  });

  it('a duplicated key is a YAML error, not a silent override', () => {
    const problems = errorOf(() => load('server:\n  port: 8080\n  port: 9090\n')).problems;
    expect(problems).toEqual([{ path: 'line 3', message: expect.stringMatching(/unique/i) }]);
  });

  it.each([
    ['a scalar', '42\n'],
    ['a string', 'just some text\n'],
    ['a list', '- server\n- redis\n'],
  ])('a root that is %s, not a mapping', (_what, yaml) => {
    expect(errorOf(() => load(yaml)).problems).toEqual([
      { path: '(root)', message: 'must be a mapping of sections' },
    ]);
  });
});
