/**
 * `presence-bridge check-config FILE` as an operator runs it: the built dist/main.js in a child process.
 * Exit 0 and "configuration OK" on stdout, or exit 1 and every problem on stderr.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, requireBuild, runCli, tempDir, writeConfig } from '../daemon/cli-process.js';

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

  it('without a FILE, exits 1 with the usage', async () => {
    const result = await runCli(['check-config']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('check-config needs a FILE');
    expect(result.stderr).toContain('usage:');
  });

  it('an unknown command exits 1 with the usage', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('presence-bridge check-config FILE');
  });

  it('validates the shipped config/default.yaml', async () => {
    const result = await runCli(['check-config', 'config/default.yaml']);
    expect(result).toMatchObject({ code: 0, stdout: 'configuration OK: config/default.yaml\n' });
  });
});
