/**
 * The Call Control WebSocket (`/callcontrol/ws`) with `Authorization: Bearer` on the upgrade, as in 3CX's
 * official example. The token is asked for on every attempt — a header saved from an earlier connection
 * loops on 401 after a rotation (reference §8, pocket-dial issue #336) — and a refused upgrade renews it
 * once through the shared TokenManager. Liveness: ping every interval; no pong by the next one → closed.
 */
import WebSocket from 'ws';
import { PbxError } from '../pbx.js';
import { httpStatusError, networkError } from './errors.js';
import { CALLCONTROL_WS_PATH } from './callcontrol-api.js';
import type { TokenManager } from './token-manager.js';

export interface SocketOptions {
  /** PBX base URL (http/https); the scheme becomes ws/wss. */
  url: string;
  ca: Array<string | Buffer> | undefined;
  timeoutMs: number;
}

const CTX = { what: 'call control websocket' };

/** An open socket, or PbxError (PBX_AUTH_FAILED after one renewal, PBX_PERMISSION_DENIED, …). */
export async function openCallControlSocket(
  tokens: TokenManager,
  options: SocketOptions,
  signal: AbortSignal,
): Promise<WebSocket> {
  try {
    return await tokens.authorized((token) => openOnce(options, token, signal), isRefused401);
  } catch (err) {
    throw err instanceof UpgradeRefused ? httpStatusError(err.status, err.headers, null, CTX) : err;
  }
}

export function callControlSocketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/i, 'ws')}${CALLCONTROL_WS_PATH}`;
}

class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, unknown>,
  ) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

function isRefused401(err: unknown): boolean {
  return err instanceof UpgradeRefused && err.status === 401;
}

function openOnce(options: SocketOptions, token: string, signal: AbortSignal): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(callControlSocketUrl(options.url), {
      headers: { Authorization: `Bearer ${token}` },
      ...(options.ca ? { ca: options.ca } : {}),
    });
    const fail = (err: Error): void => {
      settle();
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new PbxError('PBX_TIMEOUT', '3CX call control websocket: no answer in time')),
      options.timeoutMs,
    );
    const onAbort = (): void => fail(networkError('ERR_CANCELED', CTX));
    const settle = (): void => (clearTimeout(timer), signal.removeEventListener('abort', onAbort));
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('error', (err: Error & { code?: string }) => fail(networkError(err.code, CTX)));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      fail(new UpgradeRefused(res.statusCode ?? 0, res.headers));
    });
    ws.once('open', () => (settle(), resolve(ws)));
  });
}

/** Resolves with a reason once the socket is closed; pings to notice a silent peer; closes on abort. */
export function watchSocket(ws: WebSocket, pingIntervalMs: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    let alive = true;
    let why: string | null = null;
    const timer = setInterval(() => {
      if (!alive) return ((why = 'no pong from the PBX'), ws.terminate());
      alive = false;
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, pingIntervalMs);
    // terminate, not close(): a PBX that never answers the close frame would hold stop() for 30 s.
    const onAbort = (): void => ((why = 'stopped'), ws.terminate());
    ws.on('pong', () => (alive = true));
    signal.addEventListener('abort', onAbort, { once: true });
    ws.once('close', (code: number) => {
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(why ?? `websocket closed (${code})`);
    });
  });
}
