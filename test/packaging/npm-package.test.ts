/**
 * The production artefact as an admin installs it: `npm pack` in a built checkout gives one tarball with the
 * compiled daemon, its web console, the Lua scripts, the example configurations and the systemd unit, and every
 * production dependency bundled at the versions the lockfile pins (so the install needs no registry and gets no
 * Node-engine surprise). The test installs that tarball with production dependencies only into an empty
 * directory, runs its `presence-bridge` command, and opens /console.
 * Also here: package.json's promises (engines true for everything installed, the bin, screenshots only on request).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { screenshotPath } from '../console/browser.js';
import { CliProcess, killAll, requireBuild, tempDir, writeConfig } from '../daemon/cli-process.js';
import { uniquePrefix } from '../harness/prefix.js';
import { read, REPO_ROOT } from './packaging.js';

const run = promisify(execFile);
const pkg = JSON.parse(read('package.json')) as {
  version: string;
  bin: Record<string, string>;
  engines: { node: string };
  scripts: Record<string, string>;
};

interface Semver {
  subset(sub: string, sup: string): boolean;
  satisfies(version: string, range: string): boolean;
}
// semver comes with npm's own dependency tree (fastify, bullmq use it); no types needed for two calls.
const semver = createRequire(import.meta.url)('semver') as Semver;

describe('package.json', () => {
  it('promises only Node versions every installed package supports, and this Node is one', () => {
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { engines?: { node?: string } | string[] }>;
    };
    const narrower = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .map(([path, p]) => [path, Array.isArray(p.engines) ? undefined : p.engines?.node] as const)
      .filter(([, range]) => range !== undefined && !semver.subset(pkg.engines.node, range as string));
    expect(narrower).toEqual([]);
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
  });

  it('npm test leaves docs/screenshots alone; only npm run screenshots writes them', () => {
    expect(pkg.scripts.test).not.toContain('PB_WRITE_SCREENSHOTS');
    expect(pkg.scripts.screenshots).toContain('PB_WRITE_SCREENSHOTS=1');
    expect(screenshotPath('board', {})).toBeUndefined();
    expect(screenshotPath('board', { PB_WRITE_SCREENSHOTS: '1' })).toBe(
      join(REPO_ROOT, 'docs/screenshots/board.png'),
    );
  });

  it('has a presence-bridge command: dist/main.js, executable, with a node shebang', () => {
    requireBuild();
    const main = join(REPO_ROOT, pkg.bin['presence-bridge'] as string);
    expect(readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(main).mode & 0o111).not.toBe(0);
  });
});

describe('npm pack, installed with production dependencies only', () => {
  const dir = tempDir('pb-pack-');
  const app = join(dir, 'app');
  let files: string[] = [];

  beforeAll(async () => {
    requireBuild(); // npm test builds first; --ignore-scripts skips prepack's second build
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: REPO_ROOT,
      maxBuffer: 256 * 1024 * 1024,
    });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info?.files.map((f) => f.path) ?? [];
    await run('mkdir', ['-p', app]);
    await run(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', join(dir, info?.filename ?? 'missing.tgz')],
      { cwd: app, maxBuffer: 64 * 1024 * 1024 },
    );
  }, 180_000);
  afterEach(killAll);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the daemon, its console, scripts, examples and unit, and no sources or tests', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/main.js',
        'dist/console/index.html',
        'dist/bridge/redis/lua/commitUser-19.lua',
        'config/default.yaml',
        'config/examples/freepbx.yaml',
        'config/examples/3cx.yaml',
        'docker/presence-bridge.service',
        'README.md',
      ]),
    );
    expect(files.filter((f) => /^(src|test|bench|console\/src)\//.test(f))).toEqual([]);
    // Dependencies are bundled: the install resolved nothing from the registry, so no newer, Node-22-only
    // version of a transitive dependency can slip in.
    expect(files.some((f) => f.startsWith('node_modules/fastify/'))).toBe(true);
    expect(files.some((f) => f.startsWith('node_modules/vitest/'))).toBe(false);
  });

  it('installs a presence-bridge command that serves /console with 200', async () => {
    const bin = join(app, 'node_modules/.bin/presence-bridge');
    expect(existsSync(bin)).toBe(true);
    expect(existsSync(join(app, 'node_modules/presence-bridge/node_modules/typescript'))).toBe(false);
    const config = writeConfig(
      dir,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        redis: { url: inject('redisUrl'), keyPrefix: uniquePrefix('pack'), embedded: 'never' },
        auth: { keys: [{ name: 'admin', role: 'admin', key: 'packed-admin-key-0123456789' }] },
      }),
    );
    const daemon = new CliProcess(['--config', config], { executable: bin, cwd: app });
    const url = await daemon.baseUrl();
    const page = await fetch(`${url}/console`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = /src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect((await fetch(`${url}${asset}`)).status).toBe(200);
    expect((await fetch(`${url}/docs/json`)).status).toBe(200);
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('--version of the installed command is the package version', async () => {
    const { stdout } = await run(join(app, 'node_modules/.bin/presence-bridge'), ['--version']);
    expect(stdout).toBe(`${pkg.version}\n`);
  });
});
