/**
 * The console's only way to the daemon: the public /v1 API with the key the user entered. Errors come back as
 * ApiError with the API's stable `code` (README "Errors"); a request that never reached the daemon has code
 * NETWORK. The server's `Date` header keeps an estimate of the clock offset, so "time in status" is right even
 * on a PC whose clock is off.
 */
import type { Me } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** `details.issues` of a 400 VALIDATION_FAILED. */
  get issues(): Array<{ path: string; message: string }> {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as Array<{ path: string; message: string }>) : [];
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiResponse<T> {
  status: number;
  body: T;
}

let clockOffsetMs = 0;

/** The server's idea of now, in ms since the epoch. */
export function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

/** Date headers have one-second resolution: only a clearly wrong local clock is corrected. */
function learnClock(response: Response): void {
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(date)) return;
  const offset = date + 500 - Date.now();
  clockOffsetMs = Math.abs(offset) > 2000 ? offset : 0;
}

export class Api {
  constructor(readonly key: string) {}

  get authorization(): string {
    return `Bearer ${this.key}`;
  }

  async call<T>(method: Method, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'the server cannot be reached');
    }
    learnClock(response);
    const text = await response.text().catch(() => '');
    const parsed = parseJson(text);
    if (!response.ok) throw toError(response.status, parsed);
    return { status: response.status, body: parsed as T };
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path).then((r) => r.body);
  }

  me(): Promise<Me> {
    return this.get<Me>('/v1/me');
  }

  /** A download the browser cannot do by itself (it needs the Authorization header). */
  async download(path: string, fallbackName: string): Promise<void> {
    let response: Response;
    try {
      response = await fetch(path, { headers: { authorization: this.authorization }, cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'NETWORK', 'the server cannot be reached');
    }
    if (!response.ok) throw toError(response.status, parseJson(await response.text()));
    const name =
      /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toError(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  if (error && typeof error.code === 'string') {
    const details =
      error.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : {};
    return new ApiError(status, error.code, String(error.message ?? error.code), details);
  }
  return new ApiError(status, status === 503 ? 'NOT_READY' : 'HTTP_ERROR', `the server answered ${status}`);
}

const KEY_ITEM = 'presence-bridge.key';

/**
 * The key: `#key=` in the URL fragment (never sent to the server, removed from the address bar at once) or
 * what the login form stored in sessionStorage (gone when the tab closes).
 */
export function takeKey(): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromFragment = fragment.get('key');
  if (fromFragment) {
    fragment.delete('key');
    const rest = fragment.toString();
    history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
    storeKey(fromFragment);
    return fromFragment;
  }
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}
