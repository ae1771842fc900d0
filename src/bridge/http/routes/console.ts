/**
 * The web console at /console: static files that scripts/build-console.mjs bundles into dist/console, served by the
 * daemon itself. The console talks to the public /v1 API only, with the key the user types in, so it needs no
 * route, session or privilege of its own; everything it shows is also possible through the API.
 *
 * Layout of dist/console: `index.html` (one shell for every screen; it picks the screen from the path) and
 * `assets/` (content-hashed bundles, cached for a year). It lives inside dist/ so that the compiled daemon and its
 * console ship together (npm pack, Docker, systemd). The folder is resolved from this module's own location: four
 * levels up is the package root from both src/bridge/http/routes (vitest, tsx) and dist/bridge/http/routes (the
 * compiled daemon, also when installed under node_modules). A missing build answers 503 with what to run, checked
 * per request so that building while the daemon runs is enough.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../dist/console');

/** Paths of the shell: each screen is a client-side view of the same index.html. */
export const CONSOLE_SCREENS = [
  '/console',
  '/console/agent',
  '/console/statuses',
  '/console/board',
  '/console/report',
];

export interface ConsoleOptions {
  /** The built console (tests point it elsewhere); dist/console by default. */
  dir?: string;
}

const NOT_BUILT =
  'The presence-bridge web console is missing: it is built into dist/console by "npm run build", and an installed ' +
  'package (npm pack, the Docker image) includes it. In a source checkout run "npm run build", then reload this page.';

/** Scripts and styles only from the daemon itself; no inline code, no frames, nothing from elsewhere. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const;

export function consoleRoutes(options: ConsoleOptions = {}): FastifyPluginAsyncZod {
  const dir = options.dir ?? CONSOLE_DIST;
  const indexFile = join(dir, 'index.html');
  let built = false;
  // Once seen, a build stays; while missing, every request looks again (cheap: one stat).
  const isBuilt = () => (built ||= existsSync(indexFile));

  return async (app) => {
    if (!isBuilt()) app.log.warn({ dir }, 'web console not built: /console answers 503 until it is');

    app.addHook('onRequest', async (request, reply) => {
      if (!isBuilt()) return notBuilt(reply);
      if (request.url.startsWith(ASSETS_PREFIX) && !isPlainAssetPath(request.url)) {
        // Probes for files outside the folder ("..%2F", "%00", "..\"): nothing to serve, nothing to alarm about.
        request.log.debug({ url: request.url.slice(0, 200) }, 'console asset path refused');
        return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such console asset' } });
      }
    });

    const page = async (_request: unknown, reply: FastifyReply) => {
      const html = await readFile(indexFile, 'utf8').catch(() => null);
      if (html === null) return notBuilt(reply);
      return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
    };
    for (const url of CONSOLE_SCREENS) app.get(url, { schema: { hide: true } }, page);
    // Someone typing the daemon's address into a browser wants the console.
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console', 302));

    await app.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: ASSETS_PREFIX,
      index: false,
      decorateReply: false,
      cacheControl: false,
      setHeaders: (res) => {
        // File names carry a content hash: a changed file is a new URL.
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
        res.setHeader('x-content-type-options', 'nosniff');
      },
    });
  };
}

const ASSETS_PREFIX = '/console/assets/';

/** Asset names are flat, content-hashed file names: one segment of safe characters, once decoded. */
function isPlainAssetPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  let name: string;
  try {
    name = decodeURIComponent(path.slice(ASSETS_PREFIX.length));
  } catch {
    return false;
  }
  return /^[A-Za-z0-9._-]*$/.test(name) && !name.includes('..');
}

function notBuilt(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(NOT_BUILT);
}
