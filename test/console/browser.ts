/**
 * Helpers for the console's end-to-end tests: a built console (built here when dist/console is missing or older
 * than its sources), headless Chromium through playwright-core, and pages opened with a role's key.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { KEYS, type TestDaemon } from '../harness/daemon.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const CHROMIUM = process.env.PB_CHROMIUM ?? '/usr/bin/chromium';

const newestMtime = (path: string): number => {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
};

function isBuilt(): boolean {
  const index = join(REPO_ROOT, 'dist/console/index.html');
  const sources = ['console/src', 'console/index.html', 'scripts/build-console.mjs'].map((p) =>
    join(REPO_ROOT, p),
  );
  return existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime));
}

/**
 * Runs scripts/build-console.mjs unless dist/console is newer than everything it is built from. Test files run in
 * parallel processes: a lock directory (mkdir is atomic) lets one build while the others wait and then find it
 * done, so no page is ever served from a build being swapped in.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  if (isBuilt()) return;
  const lock = join(REPO_ROOT, 'console/.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a killed run is older than any build takes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 60_000) rmSync(lock, { force: true, recursive: true });
      if (Date.now() > deadline) throw new Error(`console build lock ${lock} held for too long`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (!isBuilt()) {
      execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/build-console.mjs')], {
        cwd: REPO_ROOT,
        stdio: 'pipe',
      });
    }
  } finally {
    rmSync(lock, { force: true, recursive: true });
  }
}

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set PB_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, which a test expects to stay empty. */
  errors: string[];
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A fresh browser context (own sessionStorage) on a console path, signed in through the `#key=` fragment. */
export async function openConsole(
  browser: Browser,
  daemon: TestDaemon,
  role: keyof typeof KEYS | null,
  path: string,
  viewport = DESKTOP,
): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    timezoneId: 'UTC',
    locale: 'en-GB',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // The browser itself logs every HTTP error answer and every fetch cut by setOffline(); the tests cause those
    // on purpose. What is left are the page's own errors.
    if (msg.type() === 'error' && !/^Failed to load resource|net::ERR_/.test(msg.text()))
      errors.push(`console: ${msg.text()}`);
  });
  await page.goto(`${daemon.url}${path}${role ? `#key=${KEYS[role]}` : ''}`);
  return { context, page, errors };
}

/**
 * Where a screenshot goes: docs/screenshots only under `npm run screenshots` (PB_WRITE_SCREENSHOTS=1), so that
 * `npm test` never rewrites tracked files; otherwise the page is still rendered to an image, which is discarded.
 */
export function screenshotPath(name: string, env = process.env): string | undefined {
  return env.PB_WRITE_SCREENSHOTS === '1' ? join(SCREENSHOTS, `${name}.png`) : undefined;
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  const path = screenshotPath(name);
  if (path) mkdirSync(SCREENSHOTS, { recursive: true });
  const image = await page.screenshot({ ...(path ? { path } : {}), fullPage, animations: 'disabled' });
  if (image.length === 0) throw new Error(`empty screenshot of ${name}`);
}
