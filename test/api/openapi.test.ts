/**
 * The served OpenAPI document (API.md: "must describe exactly what is implemented"): OpenAPI 3, every /v1 route the
 * router serves and no other, each with its method, bearer security on /v1, the answers API.md promises per route,
 * and an HTML page at /docs.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { servedRoutes } from './served-routes.js';

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, unknown>;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { required?: boolean };
}
type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

/** "/v1/users/{id}" → "/v1/users/:id" (the router's syntax). */
const routerPath = (openapiPath: string) => openapiPath.replace(/\{([^}]+)\}/g, ':$1');

/** What API.md's tables promise per route (beyond 400/401/403/503 that every /v1 route can answer). */
const PROMISED: Record<string, string[]> = {
  'GET /v1/status-types': ['200'],
  'POST /v1/status-types': ['201', '409'],
  'GET /v1/status-types/:id': ['200', '404'],
  'PATCH /v1/status-types/:id': ['200', '404', '409'],
  'DELETE /v1/status-types/:id': ['204', '404', '409'],
  'GET /v1/status-types/export': ['200'],
  'PUT /v1/status-types': ['200', '409'],
  'PUT /v1/users/:id': ['200', '201', '409'],
  'GET /v1/users': ['200'],
  'GET /v1/users/:id': ['200', '404'],
  'DELETE /v1/users/:id': ['204', '404', '409'],
  'PUT /v1/users/:id/status': ['200', '202', '404', '409'],
  'DELETE /v1/users/:id/status/upcoming': ['200', '404', '409'],
  'POST /v1/users/:id/shift': ['200', '404', '409'],
  'DELETE /v1/users/:id/shift': ['200', '404', '409'],
  'POST /v1/users/:id/activities': ['200', '201', '404'],
  'DELETE /v1/users/:id/activities/:activityId': ['200', '404'],
  'POST /v1/users/:id/heartbeat': ['204', '404'],
  'GET /v1/users/:id/history': ['200', '404'],
  'GET /v1/pbx': ['200'],
  'GET /v1/webhooks': ['200'],
  'POST /v1/webhooks': ['201', '409', '422'],
  'GET /v1/webhooks/:id': ['200', '404'],
  'PATCH /v1/webhooks/:id': ['200', '404', '409', '422'],
  'DELETE /v1/webhooks/:id': ['204', '404', '409'],
  'GET /v1/webhooks/:id/deliveries': ['200', '404'],
  'POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver': ['202', '404', '409'],
};

describe('OpenAPI document', () => {
  let d: TestDaemon;
  let doc: Document;

  beforeEach(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
    const response = await d.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    doc = response.json();
  });
  afterEach(async () => d?.stop());

  const documented = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${routerPath(path)}`),
    );

  it('is OpenAPI 3 with a title and version', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'presence-bridge', version: expect.any(String) });
  });

  it('lists exactly the /v1 routes the app serves, each with its method', () => {
    const served = [...servedRoutes(d.app)].filter((r) => r.split(' ')[1]!.startsWith('/v1/')).sort();
    const listed = documented()
      .filter((r) => r.split(' ')[1]!.startsWith('/v1/'))
      .sort();
    expect(served.length).toBeGreaterThan(15);
    expect(listed).toEqual(served);
    // Every route of API.md's tables is among them.
    for (const route of Object.keys(PROMISED)) expect(listed).toContain(route);
  });

  it('declares bearer security, required on every /v1 operation and on none outside it', () => {
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (path.startsWith('/v1/')) expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        else expect(op.security ?? [], `${method} ${path}`).toEqual([]);
      }
    }
  });

  it("documents each route's answers: those API.md promises, and the auth, validation and readiness errors", () => {
    for (const [route, statuses] of Object.entries(PROMISED)) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(op, route).toBeDefined();
      const codes = Object.keys(op!.responses);
      for (const code of [...statuses, '400', '401', '403', '503'])
        expect(codes, `${route} → ${code}`).toContain(code);
    }
  });

  it('documents path parameters, the If-Match header of user writes, and request bodies', () => {
    const statusOp = doc.paths['/v1/users/{id}/status']!.put!;
    expect(statusOp.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'path', name: 'id', required: true }),
        expect.objectContaining({ in: 'header', name: 'if-match' }),
      ]),
    );
    expect(statusOp.requestBody).toBeDefined();
    expect(doc.paths['/v1/users/{id}']!.put!.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'if-match' })]),
    );
    expect(doc.paths['/v1/users/{id}/activities/{activityId}']!.delete!.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'path', name: 'id' }),
        expect.objectContaining({ in: 'path', name: 'activityId' }),
      ]),
    );
    expect(doc.paths['/v1/status-types']!.post!.requestBody).toBeDefined();
  });

  it('says which request bodies are required, as the app enforces it', async () => {
    const withBody = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.requestBody && path.startsWith('/v1/'))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          required: op.requestBody!.required === true,
        })),
    );
    expect(withBody.length).toBeGreaterThan(5);
    expect(withBody.filter((b) => !b.required).map((b) => `${b.method} ${b.path}`)).toEqual([
      'POST /v1/users/{id}/shift',
    ]);
    for (const { method, path, required } of withBody) {
      // Ids that do not exist: a request the schema accepts gets as far as the lookup (404), one it refuses gets 400.
      const url = path.replace(/\{[^}]+\}/g, 'ghost');
      const response = await d.app.inject({
        method: method as 'POST',
        url,
        headers: { authorization: `Bearer ${KEYS.admin}` },
      });
      if (required) {
        expect(response.statusCode, `${method} ${path} without a body`).toBe(400);
        expect(response.json().error.code).toBe('VALIDATION_FAILED');
      } else {
        expect(response.statusCode, `${method} ${path} without a body`).toBe(404);
      }
    }
  });

  it('serves the API documentation as HTML at /docs', async () => {
    const page = await d.app.inject({ method: 'GET', url: '/docs' });
    const html =
      page.statusCode === 302 ? await d.app.inject({ method: 'GET', url: page.headers.location! }) : page;
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toMatch(/<html/i);
  });
});
