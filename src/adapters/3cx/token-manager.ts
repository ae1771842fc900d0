/**
 * One OAuth2 client-credentials token per PBX connection, shared by XAPI, Call Control REST and the
 * WebSocket upgrade.
 *
 * 3CX keeps a single live token per client id: minting a new one invalidates the previous one (reference
 * §2, §12.1). Hence: every mint is single-flight; a token is renewed shortly before it expires; a 401
 * renews at most once, and if the renewed token is refused too, minting pauses for a growing backoff so
 * two daemons sharing a client id do not knock each other out in a tight loop.
 */
import { PbxError } from '../pbx.js';

/** The body of a successful POST /connect/token. */
export interface TokenResponse {
  access_token: string;
  expires_in?: number | string | null;
  token_type?: string;
}

export interface TokenManagerOptions {
  backoff: { initialMs: number; maxMs: number };
  now?: () => number;
}

/** Renew this long before expiry, at most a quarter of the lifetime (short-lived tokens in tests). */
const REFRESH_MARGIN_MS = 60_000;
/** Lifetime assumed when the PBX says nothing usable (3CX documents 60 minutes). */
const DEFAULT_LIFETIME_MS = 60 * 60_000;

interface Held {
  token: string;
  refreshAt: number;
}

export class TokenManager {
  private held: Held | null = null;
  private inflight: Promise<string> | null = null;
  private blockedUntil = 0;
  private refusals = 0;
  private readonly now: () => number;

  constructor(
    private readonly mint: () => Promise<TokenResponse>,
    private readonly options: TokenManagerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** True while a token is held (readiness: "token obtained"). */
  hasToken(): boolean {
    return this.held !== null;
  }

  /** A token that is not about to expire; mints (single-flight) when needed. */
  token(): Promise<string> {
    if (this.inflight) return this.inflight;
    if (this.held && this.now() < this.held.refreshAt) return Promise.resolve(this.held.token);
    return this.startMint();
  }

  /**
   * Runs `call` with the token; if it is refused (`isUnauthorized`), renews once and runs it again. A
   * second refusal starts the mint backoff and fails with PBX_AUTH_FAILED.
   */
  async authorized<T>(
    call: (token: string) => Promise<T>,
    isUnauthorized: (err: unknown) => boolean,
  ): Promise<T> {
    const first = await this.token();
    try {
      return this.accepted(await call(first));
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
    }
    const second = await this.renew(first);
    try {
      return this.accepted(await call(second));
    } catch (err) {
      if (!isUnauthorized(err)) throw err;
      this.refuse(second);
      throw authFailed('token refused after one renewal');
    }
  }

  /** After `rejected` got a 401: the newer token if someone already renewed, else a fresh one. */
  private renew(rejected: string): Promise<string> {
    if (this.inflight) return this.inflight;
    if (this.held && this.held.token !== rejected) return Promise.resolve(this.held.token);
    return this.startMint();
  }

  private accepted<T>(value: T): T {
    this.refusals = 0;
    return value;
  }

  /** The PBX refused a freshly minted token: drop it and hold off minting for a while. */
  private refuse(token: string): void {
    if (this.held?.token === token) this.held = null;
    this.block();
  }

  private block(): void {
    const { initialMs, maxMs } = this.options.backoff;
    this.blockedUntil = this.now() + Math.min(maxMs, initialMs * 2 ** this.refusals);
    this.refusals += 1;
  }

  private startMint(): Promise<string> {
    if (this.now() < this.blockedUntil) {
      return Promise.reject(authFailed(`not retrying before ${new Date(this.blockedUntil).toISOString()}`));
    }
    const flight = this.fetch().finally(() => {
      if (this.inflight === flight) this.inflight = null;
    });
    this.inflight = flight;
    return flight;
  }

  private async fetch(): Promise<string> {
    const requestedAt = this.now();
    let response: TokenResponse;
    try {
      response = await this.mint();
    } catch (err) {
      // Bad credentials must not be hammered; a network fault may be retried at once.
      if (err instanceof PbxError && !err.retryable) this.block();
      throw err;
    }
    const lifetime = tokenLifetimeMs(response, requestedAt);
    this.held = { token: response.access_token, refreshAt: requestedAt + lifetime - refreshMargin(lifetime) };
    return response.access_token;
  }
}

/**
 * Milliseconds the token lives, measured from `requestedAt`. Prefers the JWT `exp`; else `expires_in`,
 * which is minutes before 3CX 20.0.9 and seconds from 20.0.9 (xapi-tutorial commit 1c6947c): values up
 * to 120 are read as minutes, as the reference advises (no sane token lives only 2 minutes).
 */
export function tokenLifetimeMs(response: TokenResponse, requestedAt: number): number {
  const exp = jwtExpiry(response.access_token);
  // A PBX clock far off ours makes `exp` useless; fall back to expires_in then.
  if (exp !== undefined && exp - requestedAt > 0 && exp - requestedAt <= 24 * 3_600_000)
    return exp - requestedAt;
  const raw = Number(response.expires_in);
  if (!Number.isFinite(raw) || raw <= 0) return DEFAULT_LIFETIME_MS;
  return raw <= 120 ? raw * 60_000 : raw * 1000;
}

/** `exp` (ms since epoch) of a JWT access token; undefined for opaque tokens. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    const exp: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function refreshMargin(lifetimeMs: number): number {
  return Math.min(REFRESH_MARGIN_MS, lifetimeMs / 4);
}

function authFailed(why: string): PbxError {
  return new PbxError('PBX_AUTH_FAILED', `3CX authentication failed: ${why}`);
}
