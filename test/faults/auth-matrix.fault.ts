/**
 * Auth matrix over a real socket: every route of the served OpenAPI document × every kind of caller (no key, a
 * wrong key, each role, an agent key used for another user) against a daemon running as a child process, compared
 * with API.md's role table (auth-table.ts). Each request is valid for its route and targets entities that exist,
 * so the outcome can only be 401 UNAUTHENTICATED, 403 FORBIDDEN, or past authorization (any other answer below
 * 500). The table and the document must list the same routes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { killAll } from '../daemon/cli-process.js';
import { KEYS } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { CALLERS, keyOf, ROLE_TABLE, targetOf, type Caller, type Row } from './auth-table.js';
import { routesOf } from './malformed.js';
import { ChildDaemon, call, figure, must } from './support.js';

type Outcome = 'passed' | '401 UNAUTHENTICATED' | '403 FORBIDDEN';

let daemon: ChildDaemon;
let base: string;
beforeAll(async () => {
  daemon = new ChildDaemon({
    redisUrl: inject('redisUrl'),
    prefix: uniquePrefix('auth-matrix'),
    port: await freePort(),
  });
  base = daemon.base;
  await daemon.start();
});
afterAll(killAll);

function expected(row: Row, caller: Caller): Outcome {
  if (row.allowed === 'public') return 'passed';
  if (caller === 'no key' || caller === 'wrong key') return '401 UNAUTHENTICATED';
  return row.allowed.includes(caller) ? 'passed' : '403 FORBIDDEN';
}

/** The outcome of one call, or why it is no outcome at all (5xx, no answer, 401/403 without its error code). */
async function outcome(method: string, path: string, caller: Caller, row: Row, n: number): Promise<string> {
  const key = keyOf(caller);
  let status: number;
  let code: string | undefined;
  if (row.stream) {
    const abort = new AbortController();
    const response = await fetch(base + path, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: abort.signal,
    }).catch((err: Error) => ({ status: 0, json: async () => err.message }));
    status = response.status;
    if (status === 401 || status === 403)
      code = ((await response.json()) as { error?: { code?: string } }).error?.code;
    abort.abort();
  } else {
    const reply = await call(base, key, method, path, row.body?.(n));
    status = reply.status;
    code = reply.body?.error?.code;
  }
  if (status === 401) return code === 'UNAUTHENTICATED' ? '401 UNAUTHENTICATED' : `401 ${code}`;
  if (status === 403) return code === 'FORBIDDEN' ? '403 FORBIDDEN' : `403 ${code}`;
  return status > 0 && status < 500 ? 'passed' : `${status}`;
}

describe('auth matrix over a real socket', () => {
  it('answers every route × caller as API.md says', async () => {
    const document = await must(base, 'GET', '/docs/json');
    const documented = routesOf(document).map((r) => `${r.method} ${r.path}`);
    expect(
      documented.filter((route) => !ROLE_TABLE[route]),
      'documented routes without a row',
    ).toEqual([]);
    expect(
      Object.keys(ROLE_TABLE).filter((route) => !documented.includes(route)),
      'rows for routes the document does not list',
    ).toEqual([]);

    const mismatches: string[] = [];
    let n = 0;
    for (const route of documented) {
      const row = ROLE_TABLE[route] as Row;
      const [method = '', template = ''] = route.split(' ');
      for (const caller of CALLERS) {
        n += 1;
        // Fresh targets each time: the previous call may have deleted or changed them.
        for (const id of ['u1', 'u2']) {
          await must(base, 'PUT', `/v1/users/${id}`, { displayName: id, wrapUpSeconds: 600 });
        }
        if (row.prepare === 'status type') {
          await must(base, 'POST', '/v1/status-types', { id: `t${n}`, name: `Type ${n}`, color: '#101010' });
        }
        if (row.prepare === 'call') {
          await call(base, KEYS.admin, 'POST', `/v1/users/${targetOf(caller)}/activities`, {
            id: 'c1',
            kind: 'call',
          });
        }
        const params: Record<string, string> = { id: targetOf(caller), ...row.params?.(n) };
        const path =
          template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? '')) +
          (row.query ?? '');
        const actual = await outcome(method, path, caller, row, n);
        if (actual !== expected(row, caller))
          mismatches.push(`${route} as ${caller}: ${actual}, want ${expected(row, caller)}`);
      }
    }
    figure(
      `auth-matrix: ${documented.length} routes × ${CALLERS.length} callers = ${documented.length * CALLERS.length} ` +
        `answers over a real socket, ${mismatches.length} differ from API.md's role table`,
    );
    expect(mismatches).toEqual([]);
  });
});
