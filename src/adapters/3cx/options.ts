/**
 * Settings of one 3CX V20 connection. The bridge's config module validates and freezes them; this module
 * only fills in defaults, so tests and the config loader build adapters the same way.
 */
import type { Logger } from 'pino';

/** Everything the 3CX adapter needs, with defaults applied (see {@link resolveThreeCxOptions}). */
export interface ThreeCxAdapterOptions {
  /** Connection id from the bridge config, e.g. "hq"; used in logs and errors. */
  id: string;
  /** PBX base URL without a path, e.g. "https://pbx.example.com:5001". */
  url: string;
  /** API client id (a DN number) from Admin → Integrations → API. */
  clientId: string;
  /** API key of that client. Never logged. */
  clientSecret: string;
  /** PEM file with the CA (or self-signed certificate) of the PBX; verification stays on. */
  caFile?: string;
  /** Call Control WebSocket (default) or polling GET /callcontrol. */
  callEvents: 'websocket' | 'polling';
  callPollIntervalMs: number;
  /** How often phone-side status profile and queue status are read back. */
  presencePollIntervalMs: number;
  /** `User.Internal` sync; off until verified on a live PBX (reference §7, uncertainty 2). */
  externalCalls: { enabled: boolean };
  requestTimeoutMs: number;
  /** Reconnect backoff (WebSocket, polling) and the pause before minting again after auth failures. */
  backoff: { initialMs: number; maxMs: number };
  /** WebSocket liveness: a ping every interval; no pong by the next one closes the socket. */
  pingIntervalMs: number;
  /**
   * A ringing leg removed unanswered is a missed offer unless its call is connected on another monitored
   * extension within this time (a ringall queue or ring group answered elsewhere; see call-tracker.ts).
   */
  missedOfferGraceMs: number;
  logger: Logger;
}

type Required3cx = 'id' | 'url' | 'clientId' | 'clientSecret' | 'logger';

/** What a caller must give; everything else has a default. */
export type ThreeCxAdapterInput = Pick<ThreeCxAdapterOptions, Required3cx> &
  Partial<Omit<ThreeCxAdapterOptions, Required3cx>>;

export const THREE_CX_DEFAULTS = {
  callEvents: 'websocket',
  callPollIntervalMs: 2_000,
  presencePollIntervalMs: 15_000,
  externalCalls: { enabled: false },
  requestTimeoutMs: 10_000,
  backoff: { initialMs: 1_000, maxMs: 30_000 },
  pingIntervalMs: 15_000,
  missedOfferGraceMs: 3_000,
} as const satisfies Partial<ThreeCxAdapterOptions>;

/** Applies defaults and normalises the URL (no trailing slash). */
export function resolveThreeCxOptions(input: ThreeCxAdapterInput): ThreeCxAdapterOptions {
  return {
    ...THREE_CX_DEFAULTS,
    ...input,
    externalCalls: { ...THREE_CX_DEFAULTS.externalCalls, ...input.externalCalls },
    backoff: { ...THREE_CX_DEFAULTS.backoff, ...input.backoff },
    url: input.url.replace(/\/+$/, ''),
  };
}
