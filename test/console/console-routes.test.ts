/**
 * Serving the console (no browser): the shell on every screen path with its security headers, hashed assets
 * cached for good, 503 with what to run when the build is missing, and GET /v1/me for every role.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONSOLE_DIST, CONSOLE_SCREENS, consoleRoutes } from '../../src/bridge/http/routes/console.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { ensureConsoleBuilt, REPO_ROOT } from './browser.js';

describe('console routes', () => {
  let d: TestDaemon;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => d?.stop());

  it('resolves dist/console from the module, which is the package root from src/ and dist/ alike', () => {
    expect(CONSOLE_DIST).toBe(join(REPO_ROOT, 'dist/console'));
  });

  it('serves the shell on every screen path, without a key, with a strict content security policy', async () => {
    for (const url of [...CONSOLE_SCREENS, '/console/']) {
      const r = await d.app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body).toMatch(/<script type="module" src="\/console\/assets\/main-[A-Z0-9]+\.js"><\/script>/);
    }
  });

  it('serves the hashed assets as immutable and answers 404 for unknown ones', async () => {
    const assets = readdirSync(join(CONSOLE_DIST, 'assets'));
    const main = assets.find((f) => /^main-.*\.js$/.test(f));
    const css = assets.find((f) => /^styles-.*\.css$/.test(f));
    const js = await d.app.inject({ url: `/console/assets/${main}` });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await d.app.inject({ url: `/console/assets/${css}` })).headers['content-type']).toMatch(
      /^text\/css/,
    );
    expect((await d.app.inject({ url: '/console/assets/nope.js' })).statusCode).toBe(404);
    expect((await d.app.inject({ url: '/console/assets/../index.html' })).statusCode).not.toBe(200);
  });

  it('GET /v1/me tells each key its name, role and bound user', async () => {
    expect((await d.request('agent', 'GET', '/v1/me')).body).toEqual({
      name: 'agent-u1',
      role: 'agent',
      userId: 'u1',
    });
    expect((await d.request('supervisor', 'GET', '/v1/me')).body).toEqual({
      name: 'supervisor',
      role: 'supervisor',
      userId: null,
    });
    for (const role of ['admin', 'integration'] as const)
      expect((await d.request(role, 'GET', '/v1/me')).body.role).toBe(role);
    const anonymous = await d.request(null, 'GET', '/v1/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('documents GET /v1/me in the OpenAPI document', async () => {
    const doc = (await d.app.inject({ url: '/docs/json' })).json();
    const me = doc.paths['/v1/me'].get;
    expect(me.responses['200'].content['application/json'].schema.properties).toMatchObject({
      name: { type: 'string' },
      role: { enum: ['admin', 'supervisor', 'agent', 'integration'] },
    });
    expect(me.security).toEqual([{ bearer: [] }]);
  });
});

describe('console routes without a build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-console-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers 503 telling to run the build, on pages and assets', async () => {
    const app = Fastify();
    await app.register(consoleRoutes({ dir: join(dir, 'missing') }));
    for (const url of ['/console', '/console/board', '/console/assets/main-X.js']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(503);
      expect(r.body).toContain('npm run build');
    }
    await app.close();
  });
});
