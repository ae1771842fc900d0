/**
 * API.md's role table as data: for each documented route, who may call it, plus what a valid request to it looks
 * like (so a refusal can only come from authentication or authorization). Routes are keyed as the OpenAPI document
 * names them ("PUT /v1/users/{id}/status").
 *
 * test/api/auth.test.ts holds the same table for its in-process matrix but does not export it; it could import this
 * one instead (rows there are keyed by the router's ":id" syntax).
 */
import { KEYS } from '../harness/daemon.js';

export type Caller =
  'no key' | 'wrong key' | 'admin' | 'supervisor' | 'integration' | 'agent self' | 'agent other';
export type Allowed = Exclude<Caller, 'no key' | 'wrong key'>;

export const CALLERS: Caller[] = [
  'no key',
  'wrong key',
  'admin',
  'supervisor',
  'integration',
  'agent self',
  'agent other',
];

/** The agent key is bound to u1: "agent self" targets u1, "agent other" targets u2, every other caller u1. */
export const targetOf = (caller: Caller): string => (caller === 'agent other' ? 'u2' : 'u1');

export function keyOf(caller: Caller): string | null {
  if (caller === 'no key') return null;
  if (caller === 'wrong key') return 'fault-unknown-key-0123456789';
  if (caller === 'agent self' || caller === 'agent other') return KEYS.agent;
  return KEYS[caller];
}

// Role sets exactly as API.md states them ("admin (everything)").
const ANY: Allowed[] = ['admin', 'supervisor', 'integration', 'agent self', 'agent other'];
const ADMIN: Allowed[] = ['admin'];
const ADMIN_SUPERVISOR: Allowed[] = ['admin', 'supervisor'];
const READERS: Allowed[] = ['admin', 'supervisor', 'agent self'];
const ALL_BUT_AGENT_OTHER: Allowed[] = ['admin', 'supervisor', 'integration', 'agent self'];
const INTEGRATION_ADMIN: Allowed[] = ['admin', 'integration'];
const HEARTBEAT: Allowed[] = ['admin', 'integration', 'agent self'];

export interface Row {
  /** 'public': no key needed (health, metrics, docs); else the callers API.md allows. */
  allowed: 'public' | Allowed[];
  /** Path parameters of a valid request for the nth call (user ids come from targetOf). */
  params?: (n: number) => Record<string, string>;
  query?: string;
  body?: (n: number) => unknown;
  /** Made (as admin) before the nth call so a valid request exists to be refused or allowed. */
  prepare?: 'status type' | 'call';
  /** Server-Sent Events: the answer never ends; only its status is read. */
  stream?: boolean;
}

export const ROLE_TABLE: Record<string, Row> = {
  'GET /health/live': { allowed: 'public' },
  'GET /health/ready': { allowed: 'public' },
  'GET /metrics': { allowed: 'public' },
  'GET /v1/status-types': { allowed: ANY },
  'POST /v1/status-types': { allowed: ADMIN, body: (n) => ({ name: `Auth ${n}`, color: '#202020' }) },
  'GET /v1/status-types/{id}': { allowed: ANY, params: () => ({ id: 'idle' }) },
  'PATCH /v1/status-types/{id}': {
    allowed: ADMIN,
    params: () => ({ id: 'idle' }),
    body: () => ({ color: '#303030' }),
  },
  'DELETE /v1/status-types/{id}': {
    allowed: ADMIN,
    params: (n) => ({ id: `t${n}` }),
    prepare: 'status type',
  },
  'GET /v1/status-types/export': { allowed: ADMIN },
  // A dry run: valid, and it leaves the catalogue other rows rely on as it is.
  'PUT /v1/status-types': { allowed: ADMIN, query: '?dryRun=true', body: () => ({ statusTypes: [] }) },
  'PUT /v1/users/{id}': { allowed: INTEGRATION_ADMIN, body: (n) => ({ displayName: `Name ${n}` }) },
  'GET /v1/users': { allowed: ADMIN_SUPERVISOR },
  'GET /v1/users/{id}': { allowed: READERS },
  'DELETE /v1/users/{id}': { allowed: ADMIN },
  'PUT /v1/users/{id}/status': { allowed: ALL_BUT_AGENT_OTHER, body: () => ({ statusId: 'idle' }) },
  'DELETE /v1/users/{id}/status/upcoming': { allowed: ALL_BUT_AGENT_OTHER },
  'POST /v1/users/{id}/shift': { allowed: ALL_BUT_AGENT_OTHER, body: () => ({}) },
  'DELETE /v1/users/{id}/shift': { allowed: ALL_BUT_AGENT_OTHER },
  // Not in API.md's table: ending one's own wrap-up early, a status command like the others.
  'DELETE /v1/users/{id}/wrap-up': { allowed: ALL_BUT_AGENT_OTHER },
  // API.md "Additions": agent self, supervisor, integration (admin: everything).
  'POST /v1/users/{id}/wrap-up/extend': { allowed: ALL_BUT_AGENT_OTHER, body: () => ({ seconds: 10 }) },
  'POST /v1/users/{id}/activities': {
    allowed: INTEGRATION_ADMIN,
    body: (n) => ({ id: `call-${n}`, kind: 'call' }),
  },
  'DELETE /v1/users/{id}/activities/{activityId}': {
    allowed: ['admin', 'supervisor', 'integration'],
    params: () => ({ activityId: 'c1' }),
    prepare: 'call',
  },
  'POST /v1/users/{id}/heartbeat': { allowed: HEARTBEAT },
  'GET /v1/users/{id}/history': { allowed: READERS },
  'GET /v1/pbx': { allowed: ADMIN_SUPERVISOR },
  'GET /v1/events': { allowed: ANY, stream: true },
  'GET /v1/reports/time-in-status': {
    allowed: ADMIN_SUPERVISOR,
    query: '?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
  },
  // Not in API.md: who the presented key is (any role).
  'GET /v1/me': { allowed: ANY },
  // API.md "Additions": webhooks are admin only. Unknown ids answer 404, which is past authorization.
  'GET /v1/webhooks': { allowed: ADMIN },
  'POST /v1/webhooks': {
    allowed: ADMIN,
    body: () => ({ url: 'http://93.184.216.34/hook', events: ['pbx.sync.failed'] }),
  },
  'GET /v1/webhooks/{id}': { allowed: ADMIN },
  'PATCH /v1/webhooks/{id}': { allowed: ADMIN, body: () => ({ description: 'changed' }) },
  'DELETE /v1/webhooks/{id}': { allowed: ADMIN },
  'GET /v1/webhooks/{id}/deliveries': { allowed: ADMIN },
  'GET /v1/webhooks/{id}/deliveries/{deliveryId}': {
    allowed: ADMIN,
    params: () => ({ deliveryId: 'evt_1_1-0' }),
  },
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': {
    allowed: ADMIN,
    params: () => ({ deliveryId: 'evt_1_1-0' }),
  },
};
