/**
 * Bearer-key authentication and role checks (README "Authentication and roles").
 * Keys are compared in constant time: each configured key's SHA-256 digest is compared with the presented one's
 * using timingSafeEqual, always against every key, so neither the match nor its position leaks through timing.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyConfig, Role } from '../config/schema.js';
import { ApiError } from '../errors.js';

export interface Principal {
  name: string;
  role: Role;
  /** Only for agent keys: the one user the key may read and change. */
  userId?: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route; checked right after authentication (see authorizeRoute). */
    access?: AccessRule;
  }
}

// Perf: the one-shot hash (no Hash object per request) is about 3× cheaper than createHash().update().digest().
const digest = (key: string): Buffer => hash('sha256', key, 'buffer');

export class KeyRing {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(keys: readonly ApiKeyConfig[]) {
    this.entries = keys.map((k) => ({
      digest: digest(k.key),
      principal: { name: k.name, role: k.role, userId: k.userId },
    }));
  }

  get size(): number {
    return this.entries.length;
  }

  identify(presented: string): Principal | null {
    const candidate = digest(presented);
    let found: Principal | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.principal;
    }
    return found;
  }
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export function authenticate(request: FastifyRequest, ring: KeyRing): Principal {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  const principal = match?.[1] ? ring.identify(match[1]) : null;
  if (!principal)
    throw new ApiError('UNAUTHENTICATED', 'a valid "Authorization: Bearer <key>" header is required');
  request.principal = principal;
  return principal;
}

/** Who may do something: listed roles, plus agents acting on their own user when `self` is set. */
export interface AccessRule {
  roles: readonly Role[];
  /** Agents may act only on this user id (taken from the route's params). */
  agentSelf?: boolean;
}

export function authorize(request: FastifyRequest, rule: AccessRule, userId?: string): Principal {
  const principal = request.principal;
  if (!principal)
    throw new ApiError('UNAUTHENTICATED', 'a valid "Authorization: Bearer <key>" header is required');
  if (rule.roles.includes(principal.role)) return principal;
  if (rule.agentSelf && principal.role === 'agent' && userId !== undefined && principal.userId === userId)
    return principal;
  throw new ApiError('FORBIDDEN', `the "${principal.role}" key "${principal.name}" may not do this`);
}

export const ANY_ROLE: AccessRule = { roles: ['admin', 'supervisor', 'agent', 'integration'] };
export const ADMIN_ONLY: AccessRule = { roles: ['admin'] };

/**
 * Checks the route's declared `config.access` right after authentication, before the body is read or validated,
 * so a known key that may not call the route gets 403 FORBIDDEN whatever it sends (README "Authentication and roles"), rather than a 400 about
 * a body it was never allowed to send. Handlers still call authorize() themselves; routes without a declared rule
 * are checked there only.
 */
export function authorizeRoute(request: FastifyRequest): void {
  const rule = request.routeOptions.config.access;
  if (rule) authorize(request, rule, (request.params as { id?: string } | undefined)?.id);
}
