#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --only=throughput,deferred,burst,scale] [-- --cpu-prof] [-- --build]`
 * A thin launcher: builds dist/ when it is missing (or with --build), because the benchmarks run the built daemon,
 * then runs the TypeScript runner bench/main.ts through tsx (`node --import tsx`: one child process, so signals reach
 * it directly; `npx tsx` adds npm and a shell in between, which do not pass SIGINT on) and passes signals on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

if (!existsSync(`${root}/dist/main.js`) || process.argv.includes('--build')) {
  console.log('bench: building dist/ …');
  const built = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

// The build copies src/bridge/redis/lua over dist without deleting: a script renamed in src (commitUser-9.lua →
// commitUser-10.lua) would stay in dist and, loaded under the same command name, could shadow the new one.
const luaSrc = `${root}/src/bridge/redis/lua`;
const luaDist = `${root}/dist/bridge/redis/lua`;
if (existsSync(luaSrc) && existsSync(luaDist)) {
  const current = new Set(readdirSync(luaSrc));
  for (const file of readdirSync(luaDist)) {
    if (current.has(file)) continue;
    console.log(`bench: removing stale dist/bridge/redis/lua/${file} (no longer in src)`);
    rmSync(`${luaDist}/${file}`);
  }
}

const args = process.argv.slice(2).filter((a) => a !== '--build');
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
