/**
 * `presence-bridge check-config [FILE]`, `--help` and `--version` as an operator runs them: the built dist/main.js
 * in a child process. Exit 0 and "configuration OK" on stdout (warnings on stderr), or exit 1 and every problem
 * on stderr.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, REPO_ROOT, requireBuild, runCli, tempDir, writeConfig } from '../daemon/cli-process.js';

let dir: string;

beforeAll(() => {
  requireBuild();
  dir = tempDir('pb-check-');
});
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check-config', () => {
  it('exits 0 and says "configuration OK" for a valid file, without starting anything', async () => {
    const file = writeConfig(
      dir,
      `
server: { port: 9000 }
redis: { url: "redis://127.0.0.1:1", embedded: never }   # nothing listens there: check-config must not care
auth:
  keys:
    - { name: ops, role: admin, key: "\${PB_T_OPS_KEY}" }
`,
      'valid.yaml',
    );
    const result = await runCli(['check-config', file], {
      env: { PB_T_OPS_KEY: 'ops-key-0123456789abcdef' },
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`configuration OK: ${file}\n`);
  });

  it('exits 1 and lists every problem on stderr, one "path: reason" line each', async () => {
    const file = writeConfig(
      dir,
      `
server: { port: 70000, colour: blue }
redis: { url: "http://x" }
auth:
  keys:
    - { name: desk, role: agent, key: "\${PB_T_UNSET_KEY}" }
`,
      'invalid.yaml',
    );
    const result = await runCli(['check-config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(`invalid configuration in ${file}:`);
    expect(lines.slice(1).sort()).toEqual(
      [
        '  - auth.keys[0].key: environment variable PB_T_UNSET_KEY is not set',
        '  - auth.keys[0].userId: userId is required for agent keys and allowed only for them',
        '  - redis.url: must start with redis:// or rediss://',
        '  - server.colour: unknown field',
        expect.stringMatching(/^ {2}- server\.port: .*65535$/),
      ].sort(),
    );
  });

  it('reports an environment override that breaks the file, naming the variable', async () => {
    const file = writeConfig(dir, 'server: { port: 8080 }\n', 'plain.yaml');
    const result = await runCli(['check-config', file], { env: { PB_REDIS_EMBEDDED: 'sometimes' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/redis\.embedded: .*\(set by PB_REDIS_EMBEDDED\)/);
  });

  it('exits 1 naming the file it cannot read', async () => {
    const missing = join(dir, 'missing.yaml');
    const result = await runCli(['check-config', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`invalid configuration in ${missing}:\n  - (file): cannot read: ENOENT\n`);
  });

  it('exits 1 naming the line of a YAML syntax error', async () => {
    const file = writeConfig(dir, 'server:\n  port: [8080\n', 'broken.yaml');
    const result = await runCli(['check-config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ {2}- line \d+: \S/m);
  });

  it('without a FILE, checks what the daemon would load: --config, $PB_CONFIG, config/default.yaml, defaults', async () => {
    const cwd = tempDir('pb-check-cwd-');
    try {
      // Nothing to find: the built-in defaults.
      expect(await runCli(['check-config'], { cwd })).toMatchObject({
        code: 0,
        stdout: 'configuration OK: (built-in defaults)\n',
      });
      // config/default.yaml in the working directory.
      mkdirSync(join(cwd, 'config'));
      writeFileSync(join(cwd, 'config/default.yaml'), 'server: { port: 70000 }\n');
      const local = await runCli(['check-config'], { cwd });
      expect(local.code).toBe(1);
      expect(local.stderr).toContain('invalid configuration in config/default.yaml:');
      // $PB_CONFIG wins over it, --config over both.
      const good = writeConfig(dir, 'server: { port: 9001 }\n', 'env-chosen.yaml');
      const viaEnv = await runCli(['check-config'], { cwd, env: { PB_CONFIG: good } });
      expect(viaEnv).toMatchObject({ code: 0, stdout: `configuration OK: ${good}\n` });
      const viaFlag = await runCli(['check-config', '--config', good], { cwd });
      expect(viaFlag).toMatchObject({ code: 0, stdout: `configuration OK: ${good}\n` });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('warns about status type ids that are not built-ins, naming the built-in a typo is close to', async () => {
    const file = writeConfig(
      dir,
      `
status: { defaultOnShiftStart: on-brake }
pbx:
  - id: main
    kind: freepbx
    ami: { host: 127.0.0.1, username: u, secret: s }
    presenceMap: { "dnd:on": lunch, "dnd:off": active, "presence:away": offlne }
`,
      'typo.yaml',
    );
    const result = await runCli(['check-config', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`configuration OK: ${file} (3 warnings)\n`);
    expect(result.stderr.trim().split('\n')).toEqual([
      'warning: status.defaultOnShiftStart: "on-brake" is not a built-in status type; it must exist in the catalog, which is checked at start; did you mean the built-in "on-break"?',
      'warning: pbx[0].presenceMap["dnd:on"]: "lunch" is not a built-in status type; it must exist in the catalog, which is checked at start',
      'warning: pbx[0].presenceMap["presence:away"]: "offlne" is not a built-in status type; it must exist in the catalog, which is checked at start; did you mean the built-in "offline"?',
    ]);
  });

  it('refuses a status type id that no status type can have', async () => {
    const file = writeConfig(dir, 'status: { defaultOnShiftStart: "On Break" }\n', 'bad-id.yaml');
    const result = await runCli(['check-config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '  - status.defaultOnShiftStart: not a status type id: lower-case letters, digits and "-", e.g. on-break',
    );
  });

  it('--help and -h print the usage, --version and -v the version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--help', '-h']) {
      const result = await runCli([flag]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain(`presence-bridge ${version}\nusage:`);
      expect(result.stdout).toContain('presence-bridge check-config [FILE]');
    }
    for (const flag of ['--version', '-v']) {
      expect(await runCli([flag])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('an unknown command exits 1 with the usage', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('presence-bridge check-config [FILE]');
  });

  it('validates the shipped config/default.yaml', async () => {
    const result = await runCli(['check-config', 'config/default.yaml']);
    expect(result).toMatchObject({ code: 0, stdout: 'configuration OK: config/default.yaml\n' });
  });
});
