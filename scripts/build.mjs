#!/usr/bin/env node
/**
 * The production build: everything the daemon needs at run time ends up in dist/, so dist/ plus the production
 * dependencies is a complete installation (what `npm pack` ships, what the Dockerfile and systemd copy).
 *
 *   node scripts/build.mjs      (npm run build)
 *
 * 1. a fresh dist/ compiled from src/ (tsc -p tsconfig.build.json);
 * 2. the Lua scripts next to the module that loads them (dist/bridge/redis/lua);
 * 3. dist/main.js executable (it is the package's `presence-bridge` command and starts with a shebang);
 * 4. the web console into dist/console (scripts/build-console.mjs).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const run = (script, args = []) =>
  execFileSync(process.execPath, [script, ...args], { cwd: ROOT, stdio: 'inherit' });

rmSync(DIST, { recursive: true, force: true });
run(createRequire(import.meta.url).resolve('typescript/bin/tsc'), ['-p', 'tsconfig.build.json']);
cpSync(join(ROOT, 'src/bridge/redis/lua'), join(DIST, 'bridge/redis/lua'), { recursive: true });
const main = join(DIST, 'main.js');
if (!readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node\n')) {
  throw new Error('dist/main.js must start with "#!/usr/bin/env node" (it is the presence-bridge command)');
}
chmodSync(main, 0o755);
run(join(ROOT, 'scripts/build-console.mjs'));
