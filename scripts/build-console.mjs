#!/usr/bin/env node
/**
 * Builds the web console: console/src → dist/console (served by the daemon at /console). Part of `npm run build`
 * (scripts/build.mjs); inside dist/ so the compiled daemon and its console always ship together.
 *
 *   node scripts/build-console.mjs
 *
 * esbuild bundles console/src/main.ts (ESM, code-split so each screen is its own chunk) and styles.css, minified
 * with source maps, into dist/console/assets under content-hashed names; console/index.html is copied to
 * dist/console/index.html with the hashed names filled in. Everything is written to a fresh folder first and
 * then swapped in, so a running daemon never serves half a build. Prints each file's size (raw and gzip).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONSOLE = join(ROOT, 'console');
const DIST = join(ROOT, 'dist', 'console');
const STAGING = join(ROOT, 'dist', `.console-${process.pid}`);

/** Browsers the console supports: current Chromium and Firefox (and what they cover of Safari). */
const TARGET = ['chrome115', 'firefox115', 'safari16.4'];

async function main() {
  rmSync(STAGING, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'console/src/main.ts', styles: 'console/src/styles.css' },
    outdir: join(STAGING, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: TARGET,
    minify: true,
    sourcemap: 'linked',
    sourcesContent: true,
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    legalComments: 'none',
    charset: 'utf8',
    metafile: true,
    logLevel: 'warning',
    tsconfig: 'console/tsconfig.json',
  });

  const names = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    const ext = file.endsWith('.css') ? 'css' : 'js';
    names[`${basename(output.entryPoint).replace(/\.(ts|css)$/, '')}.${ext}`] = basename(file);
  }
  let html = readFileSync(join(CONSOLE, 'index.html'), 'utf8');
  html = html.replace(/\{\{([\w.]+)\}\}/g, (_m, name) => {
    if (!names[name]) throw new Error(`index.html names {{${name}}}, which the build did not produce`);
    return names[name];
  });
  writeFileSync(join(STAGING, 'index.html'), html);

  swapIn();
  report(result.metafile);
}

/** Replaces dist/console with the staged build (two renames; the old one is removed afterwards). */
function swapIn() {
  mkdirSync(DIST, { recursive: true });
  const old = join(ROOT, 'dist', `.console-old-${process.pid}`);
  renameSync(DIST, old);
  renameSync(STAGING, DIST);
  rmSync(old, { recursive: true, force: true });
}

function report(metafile) {
  const rows = [[join(DIST, 'index.html'), statSync(join(DIST, 'index.html')).size]];
  for (const file of Object.keys(metafile.outputs)) {
    if (file.endsWith('.map')) continue;
    const path = join(DIST, 'assets', basename(file));
    rows.push([path, statSync(path).size]);
  }
  let raw = 0;
  let gz = 0;
  for (const [path, size] of rows) {
    const zipped = gzipSync(readFileSync(path)).length;
    raw += size;
    gz += zipped;
    console.log(
      `  ${relative(ROOT, path).padEnd(48)} ${kb(size).padStart(9)}  gzip ${kb(zipped).padStart(8)}`,
    );
  }
  console.log(
    `  ${'total (without source maps)'.padEnd(48)} ${kb(raw).padStart(9)}  gzip ${kb(gz).padStart(8)}`,
  );
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

main().catch((err) => {
  rmSync(STAGING, { recursive: true, force: true });
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
