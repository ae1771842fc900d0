/**
 * The auth matrix of API.md: every /v1 route × every kind of caller → 401 UNAUTHENTICATED, 403 FORBIDDEN, or
 * allowed. Before each call the target user is prepared so that an allowed call succeeds (2xx): a refusal can then
 * only come from authorization, and "allowed" means the route really did its work.
 *
 * The table must cover every /v1 route the app serves (checked against the router), so a new route cannot ship
 * without a row here. Rows for routes of API.md that are not served yet are skipped until they are.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { servedRoutes } from './served-routes.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Caller = 'no key' | 'wrong key' | 'admin' | 'supervisor' | 'integration' | 'agent self' | 'agent other';
type Outcome = 'allowed' | '401 UNAUTHENTICATED' | '403 FORBIDDEN';
type Allowed = 'admin' | 'supervisor' | 'integration' | 'agent self' | 'agent other';

const CALLERS: Caller[] = [
  'no key',
  'wrong key',
  'admin',
  'supervisor',
  'integration',
  'agent self',
  'agent other',
];

/** The agent key is bound to u1: "self" targets u1, "other" targets u2; every other caller targets u1. */
const targetOf = (caller: Caller): string => (caller === 'agent other' ? 'u2' : 'u1');
const keyOf = (caller: Caller): string | undefined =>
  caller === 'no key'
    ? undefined
    : caller === 'wrong key'
      ? 'test-unknown-key-0123456789'
      : caller.startsWith('agent')
        ? KEYS.agent
        : KEYS[caller as 'admin' | 'supervisor' | 'integration'];

// Role sets exactly as API.md's tables state them ("admin" means everything).
const ANY: Allowed[] = ['admin', 'supervisor', 'integration', 'agent self', 'agent other'];
const ADMIN: Allowed[] = ['admin'];
const ADMIN_SUPERVISOR: Allowed[] = ['admin', 'supervisor'];
const READERS: Allowed[] = ['admin', 'supervisor', 'agent self'];
const ALL_BUT_AGENT_OTHER: Allowed[] = ['admin', 'supervisor', 'integration', 'agent self'];
const INTEGRATION_ADMIN: Allowed[] = ['admin', 'integration'];
/** Ending an activity: also supervisors, for any user (issue #12: a call the PBX never reported as ended). */
const ACTIVITY_ENDERS: Allowed[] = ['admin', 'supervisor', 'integration'];
const HEARTBEAT: Allowed[] = ['admin', 'integration', 'agent self'];

interface Row {
  method: Method;
  /** Router path, as Fastify prints it. */
  route: string;
  allowed: Allowed[];
  url: (user: string, n: number) => string;
  body?: (n: number) => unknown;
  /** Brings the daemon into a state where the call succeeds (run as admin before every call). */
  prepare?: (d: TestDaemon, user: string, n: number) => Promise<void>;
  /** Server-Sent Events: the answer never ends, so it is checked over a socket by its status line. */
  stream?: boolean;
}

const ok = async (p: Promise<{ status: number; body: unknown }>, what: string) => {
  const r = await p;
  if (r.status >= 300) throw new Error(`prepare ${what}: ${r.status} ${JSON.stringify(r.body)}`);
};
const freshUser = async (d: TestDaemon, user: string) => {
  await d.request('admin', 'DELETE', `/v1/users/${user}`);
  // A long wrap-up that can still be extended (the default wrapUpMaxSeconds is 600).
  await ok(d.request('admin', 'PUT', `/v1/users/${user}`, { displayName: user, wrapUpSeconds: 300 }), 'user');
};
const startShift = (d: TestDaemon, user: string) =>
  ok(d.request('admin', 'POST', `/v1/users/${user}/shift`, {}), 'shift');
const beginCall = (d: TestDaemon, user: string, id: string) =>
  ok(d.request('admin', 'POST', `/v1/users/${user}/activities`, { id, kind: 'call' }), 'activity');
const newType = (d: TestDaemon, n: number) =>
  ok(
    d.request('admin', 'POST', '/v1/status-types', { id: `t${n}`, name: `Type ${n}`, color: '#101010' }),
    'type',
  );

/** A webhook endpoint `w<n>` (to a closed local port, for an event that never comes here). */
const newWebhook = (d: TestDaemon, n: number) =>
  ok(
    d.request('admin', 'POST', '/v1/webhooks', {
      id: `w${n}`,
      url: 'http://127.0.0.1:9/hook',
      events: ['pbx.sync.failed'],
    }),
    'webhook',
  );
/** …with one finished (failed) delivery `evt_1_<n>-0` on record. */
const failedDelivery = async (d: TestDaemon, n: number) => {
  await newWebhook(d, n);
  const at = new Date().toISOString();
  await d.daemon.parts!.deliveries.save(
    `w${n}`,
    {
      id: `evt_1_${n}-0`,
      eventType: 'pbx.sync.failed',
      userId: null,
      eventAt: at,
      status: 'failed',
      attempts: 1,
      firstAttemptAt: at,
      lastAttemptAt: at,
      nextAttemptAt: null,
      finishedAt: at,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
      recentAttempts: [],
      body: '{}',
    },
    null,
  );
};

const ROWS: Row[] = [
  { method: 'GET', route: '/v1/status-types', allowed: ANY, url: () => '/v1/status-types' },
  {
    method: 'POST',
    route: '/v1/status-types',
    allowed: ADMIN,
    url: () => '/v1/status-types',
    body: (n) => ({ name: `Created ${n}`, color: '#202020' }),
  },
  { method: 'GET', route: '/v1/status-types/:id', allowed: ANY, url: () => '/v1/status-types/idle' },
  {
    method: 'PATCH',
    route: '/v1/status-types/:id',
    allowed: ADMIN,
    url: () => '/v1/status-types/idle',
    body: (n) => ({ name: `Idle ${n}` }),
  },
  {
    method: 'DELETE',
    route: '/v1/status-types/:id',
    allowed: ADMIN,
    url: (_u, n) => `/v1/status-types/t${n}`,
    prepare: (d, _u, n) => newType(d, n),
  },
  {
    method: 'GET',
    route: '/v1/status-types/export',
    allowed: ADMIN,
    url: () => '/v1/status-types/export',
  },
  {
    method: 'PUT',
    route: '/v1/status-types',
    allowed: ADMIN,
    // A dry run: the whole catalogue is replaced by nothing (built-ins stay) without touching what other rows need.
    url: () => '/v1/status-types?dryRun=true',
    body: () => ({ statusTypes: [] }),
  },
  {
    method: 'PUT',
    route: '/v1/users/:id',
    allowed: INTEGRATION_ADMIN,
    url: (u) => `/v1/users/${u}`,
    body: (n) => ({ displayName: `Name ${n}` }),
  },
  { method: 'GET', route: '/v1/users', allowed: ADMIN_SUPERVISOR, url: () => '/v1/users' },
  { method: 'GET', route: '/v1/users/:id', allowed: READERS, url: (u) => `/v1/users/${u}` },
  { method: 'DELETE', route: '/v1/users/:id', allowed: ADMIN, url: (u) => `/v1/users/${u}` },
  {
    method: 'PUT',
    route: '/v1/users/:id/status',
    allowed: ALL_BUT_AGENT_OTHER,
    url: (u) => `/v1/users/${u}/status`,
    body: () => ({ statusId: 'idle' }),
  },
  {
    method: 'DELETE',
    route: '/v1/users/:id/status/upcoming',
    allowed: ALL_BUT_AGENT_OTHER,
    url: (u) => `/v1/users/${u}/status/upcoming`,
    prepare: async (d, u) => {
      await beginCall(d, u, 'c1');
      await ok(d.request('admin', 'PUT', `/v1/users/${u}/status`, { statusId: 'idle' }), 'upcoming');
    },
  },
  {
    method: 'POST',
    route: '/v1/users/:id/shift',
    allowed: ALL_BUT_AGENT_OTHER,
    url: (u) => `/v1/users/${u}/shift`,
    body: () => ({}),
  },
  {
    method: 'DELETE',
    route: '/v1/users/:id/shift',
    allowed: ALL_BUT_AGENT_OTHER,
    url: (u) => `/v1/users/${u}/shift`,
    prepare: (d, u) => startShift(d, u),
  },
  {
    // Not in API.md's table; an agent's own command like the other status commands.
    method: 'DELETE',
    route: '/v1/users/:id/wrap-up',
    allowed: ALL_BUT_AGENT_OTHER,
    url: (u) => `/v1/users/${u}/wrap-up`,
    prepare: async (d, u) => {
      await beginCall(d, u, 'c1');
      await ok(d.request('admin', 'DELETE', `/v1/users/${u}/activities/c1`), 'end call');
    },
  },
  {
    // API.md "Additions": agent self, supervisor, integration (admin: everything).
    method: 'POST',
    route: '/v1/users/:id/wrap-up/extend',
    allowed: ALL_BUT_AGENT_OTHER,
    url: (u) => `/v1/users/${u}/wrap-up/extend`,
    body: () => ({ seconds: 10 }),
    prepare: async (d, u) => {
      await beginCall(d, u, 'c1');
      await ok(d.request('admin', 'DELETE', `/v1/users/${u}/activities/c1`), 'end call');
    },
  },
  {
    method: 'POST',
    route: '/v1/users/:id/activities',
    allowed: INTEGRATION_ADMIN,
    url: (u) => `/v1/users/${u}/activities`,
    body: (n) => ({ id: `call-${n}`, kind: 'call' }),
  },
  {
    method: 'DELETE',
    route: '/v1/users/:id/activities/:activityId',
    allowed: ACTIVITY_ENDERS,
    url: (u) => `/v1/users/${u}/activities/c1`,
    prepare: (d, u) => beginCall(d, u, 'c1'),
  },
  {
    method: 'POST',
    route: '/v1/users/:id/heartbeat',
    allowed: HEARTBEAT,
    url: (u) => `/v1/users/${u}/heartbeat`,
  },
  { method: 'GET', route: '/v1/users/:id/history', allowed: READERS, url: (u) => `/v1/users/${u}/history` },
  { method: 'GET', route: '/v1/pbx', allowed: ADMIN_SUPERVISOR, url: () => '/v1/pbx' },
  // Not in API.md's tables: who the presented key is (for clients that hold only a key).
  { method: 'GET', route: '/v1/me', allowed: ANY, url: () => '/v1/me' },
  // API.md "Additions": webhooks, admin only.
  { method: 'GET', route: '/v1/webhooks', allowed: ADMIN, url: () => '/v1/webhooks' },
  {
    method: 'POST',
    route: '/v1/webhooks',
    allowed: ADMIN,
    url: () => '/v1/webhooks',
    body: () => ({ url: 'http://127.0.0.1:9/hook', events: ['pbx.sync.failed'] }),
  },
  {
    method: 'GET',
    route: '/v1/webhooks/:id',
    allowed: ADMIN,
    url: (_u, n) => `/v1/webhooks/w${n}`,
    prepare: (d, _u, n) => newWebhook(d, n),
  },
  {
    method: 'PATCH',
    route: '/v1/webhooks/:id',
    allowed: ADMIN,
    url: (_u, n) => `/v1/webhooks/w${n}`,
    body: () => ({ description: 'changed' }),
    prepare: (d, _u, n) => newWebhook(d, n),
  },
  {
    method: 'DELETE',
    route: '/v1/webhooks/:id',
    allowed: ADMIN,
    url: (_u, n) => `/v1/webhooks/w${n}`,
    prepare: (d, _u, n) => newWebhook(d, n),
  },
  {
    method: 'GET',
    route: '/v1/webhooks/:id/deliveries',
    allowed: ADMIN,
    url: (_u, n) => `/v1/webhooks/w${n}/deliveries`,
    prepare: (d, _u, n) => newWebhook(d, n),
  },
  {
    method: 'GET',
    route: '/v1/webhooks/:id/deliveries/:deliveryId',
    allowed: ADMIN,
    url: (_u, n) => `/v1/webhooks/w${n}/deliveries/evt_1_${n}-0`,
    prepare: (d, _u, n) => failedDelivery(d, n),
  },
  {
    method: 'POST',
    route: '/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    allowed: ADMIN,
    url: (_u, n) => `/v1/webhooks/w${n}/deliveries/evt_1_${n}-0/redeliver`,
    prepare: (d, _u, n) => failedDelivery(d, n),
  },
  // API.md rows of the real-time and reports work; skipped while the daemon does not serve them.
  { method: 'GET', route: '/v1/events', allowed: ANY, url: () => '/v1/events', stream: true },
  {
    method: 'GET',
    route: '/v1/reports/time-in-status',
    allowed: ADMIN_SUPERVISOR,
    url: () => '/v1/reports/time-in-status?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
  },
];

async function call(d: TestDaemon, row: Row, caller: Caller, n: number): Promise<number> {
  const url = row.url(targetOf(caller), n);
  const key = keyOf(caller);
  const body = row.body?.(n);
  if (row.stream) {
    const abort = new AbortController();
    const response = await fetch(d.url + url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: abort.signal,
    });
    abort.abort();
    return response.status;
  }
  const response = await d.app.inject({
    method: row.method,
    url,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  if (response.statusCode === 401 || response.statusCode === 403) {
    const error = response.json().error;
    expect(error.code).toBe(response.statusCode === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
  } else if (response.statusCode >= 300) {
    throw new Error(`${row.method} ${url} as ${caller}: ${response.statusCode} ${response.body}`);
  }
  return response.statusCode;
}

const outcomeOf = (status: number): Outcome | string =>
  status === 401
    ? '401 UNAUTHENTICATED'
    : status === 403
      ? '403 FORBIDDEN'
      : status < 300
        ? 'allowed'
        : String(status);

describe('auth matrix', () => {
  let d: TestDaemon;

  beforeEach(async () => {
    // Webhook rows point endpoints at a closed loopback port.
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      config: { webhooks: { allow: ['127.0.0.1'] } },
    });
  });
  afterEach(async () => d?.stop());

  it('has a row for every /v1 route the app serves', () => {
    const rows = new Set(ROWS.map((r) => `${r.method} ${r.route}`));
    const v1 = [...servedRoutes(d.app)].filter((r) => r.split(' ')[1]!.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThan(15);
    expect(v1.filter((r) => !rows.has(r))).toEqual([]);
  });

  describe.each(ROWS)('$method $route', (row) => {
    it('answers each caller as API.md says', async (ctx) => {
      if (!servedRoutes(d.app).has(`${row.method} ${row.route}`)) ctx.skip(`${row.route} is not served yet`);
      const expected: Record<string, Outcome> = {};
      const actual: Record<string, Outcome | string> = {};
      let n = 0;
      for (const caller of CALLERS) {
        n += 1;
        expected[caller] =
          caller === 'no key' || caller === 'wrong key'
            ? '401 UNAUTHENTICATED'
            : row.allowed.includes(caller)
              ? 'allowed'
              : '403 FORBIDDEN';
        const user = targetOf(caller);
        await freshUser(d, user);
        await row.prepare?.(d, user, n);
        actual[caller] = outcomeOf(await call(d, row, caller, n));
      }
      expect(actual).toEqual(expected);
    });
  });
});

describe('authentication', () => {
  let d: TestDaemon;

  beforeEach(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterEach(async () => d?.stop());

  const withHeader = (authorization: string | undefined) =>
    d.app.inject({
      method: 'GET',
      url: '/v1/status-types',
      headers: authorization === undefined ? {} : { authorization },
    });

  it.each([
    ['empty header', ''],
    ['scheme only', 'Bearer'],
    ['scheme and a space', 'Bearer '],
    ['no scheme', KEYS.admin],
    ['another scheme', `Basic ${KEYS.admin}`],
    ['basic credentials', `Basic ${Buffer.from(`admin:${KEYS.admin}`).toString('base64')}`],
    ['colon after the scheme', `Bearer: ${KEYS.admin}`],
    ['two tokens', `Bearer ${KEYS.admin} ${KEYS.admin}`],
    ['two schemes', `Bearer Bearer ${KEYS.admin}`],
    ['key with a suffix', `Bearer ${KEYS.admin}x`],
    ['key prefix only', `Bearer ${KEYS.admin.slice(0, -1)}`],
    ['key in other case', `Bearer ${KEYS.admin.toUpperCase()}`],
    ['quoted key', `Bearer "${KEYS.admin}"`],
    ['comma-joined headers', `Bearer ${KEYS.admin}, Bearer ${KEYS.admin}`],
  ])('refuses a malformed Authorization header (%s) with 401 UNAUTHENTICATED', async (_why, header) => {
    const response = await withHeader(header);
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json().error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.any(String) });
    expect(response.body).not.toContain(KEYS.admin);
  });

  it('accepts the scheme in any case and surrounding blanks (RFC 7235)', async () => {
    for (const header of [`bearer ${KEYS.admin}`, `BEARER ${KEYS.admin}`, `Bearer  ${KEYS.admin} `]) {
      expect((await withHeader(header)).statusCode, header).toBe(200);
    }
  });

  it('refuses a request without a key before looking at its body', async () => {
    const response = await d.app.inject({
      method: 'POST',
      url: '/v1/status-types',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(response.statusCode).toBe(401);
  });

  it.each([
    ['supervisor', 'POST', '/v1/status-types', '{}'],
    ['agent', 'PATCH', '/v1/status-types/idle', '{"name": ""}'],
    ['agent', 'PUT', '/v1/users/u2/status', '{"statusId": "Not Valid"}'],
    ['agent', 'POST', '/v1/users/u1/activities', '{"kind": "meeting"}'],
    ['integration', 'DELETE', '/v1/users/u1', '{not json'],
    ['supervisor', 'PUT', '/v1/users/u1', 'x'.repeat(70 * 1024)],
  ] as const)(
    'answers 403 to a known key that may not call the route, whatever it sends (%s %s %s)',
    async (role, method, url, payload) => {
      const response = await d.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${KEYS[role]}`, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('FORBIDDEN');
    },
  );

  it.each([
    ['agent', '/v1/reports/time-in-status?from=yesterday'],
    ['integration', '/v1/reports/time-in-status'],
    ['agent', '/v1/users?limit=0x10'],
    ['integration', '/v1/users/u1/history?limit=-1'],
  ] as const)('checks access before the query: %s GET %s is 403', async (role, url) => {
    const response = await d.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${KEYS[role]}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('FORBIDDEN');
  });

  it.each(['/health/live', '/health/ready', '/metrics'])('serves %s without a key', async (url) => {
    const response = await d.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    // A key that is wrong does not matter there either.
    const wrong = await d.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(200);
  });
});
