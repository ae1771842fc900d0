/**
 * One webhook attempt: an HTTP POST with a hard deadline (connect, send and answer together), redirects never
 * followed (a 3xx is a failed attempt like any non-2xx), and every address the socket connects to checked by
 * the target policy inside the DNS lookup itself, so a name that resolves to an internal address between the
 * URL check and the connect (DNS rebinding) is refused. Uses node:http directly: one keep-alive agent per
 * endpoint bounds its sockets, and nothing follows redirects or adds proxies behind our back.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { bareHost, type TargetPolicy } from './target-policy.js';

export interface AttemptResult {
  /** HTTP status when an answer came. */
  statusCode: number | null;
  ok: boolean;
  /** Why the attempt failed (never the response body, never a secret). */
  error: string | null;
  /** timeout | refused (policy) | network | http */
  kind: 'success' | 'http' | 'timeout' | 'network' | 'forbidden';
  durationMs: number;
}

class TargetForbidden extends Error {}

export class WebhookSender {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(
    private readonly policy: TargetPolicy,
    private readonly timeoutMs: number,
    maxSockets: number,
  ) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const done = (r: Omit<AttemptResult, 'durationMs'>): AttemptResult => ({
      ...r,
      durationMs: Math.round(performance.now() - started),
    });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return done({ statusCode: null, ok: false, error: 'invalid URL', kind: 'forbidden' });
    }
    const refused = this.policy.checkUrl(target);
    if (refused) return done({ statusCode: null, ok: false, error: refused, kind: 'forbidden' });
    try {
      const statusCode = await this.request(target, headers, body);
      const ok = statusCode >= 200 && statusCode < 300;
      return done({
        statusCode,
        ok,
        error: ok ? null : `HTTP ${statusCode}`,
        kind: ok ? 'success' : 'http',
      });
    } catch (err) {
      if (err instanceof TargetForbidden)
        return done({ statusCode: null, ok: false, error: err.message, kind: 'forbidden' });
      if (err instanceof AttemptTimeout)
        return done({ statusCode: null, ok: false, error: err.message, kind: 'timeout' });
      const code = (err as { code?: string }).code;
      return done({ statusCode: null, ok: false, error: code ?? (err as Error).message, kind: 'network' });
    }
  }

  private request(target: URL, headers: Record<string, string>, body: string): Promise<number> {
    const secure = target.protocol === 'https:';
    const host = bareHost(target.hostname);
    return new Promise<number>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        {
          protocol: target.protocol,
          hostname: host,
          port: target.port || (secure ? 443 : 80),
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          agent: secure ? this.https : this.http,
          lookup: isIP(host) ? undefined : this.guardedLookup(host),
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': 'presence-bridge-webhooks',
          },
        },
        (res: IncomingMessage) => {
          // The answer's body is not needed; reading it lets the socket be reused.
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      const timer = setTimeout(
        () => req.destroy(new AttemptTimeout(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }

  /** dns.lookup that refuses every answer the policy forbids (all addresses are checked, not only the first). */
  private guardedLookup(host: string): LookupFunction {
    const listed = this.policy.hostListed(host);
    return ((hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, options.all ? [] : '', 0);
        const refusal = addresses.map((a) => this.policy.checkAddress(a.address, listed)).find(Boolean);
        if (refusal || addresses.length === 0)
          return callback(new TargetForbidden(refusal ?? `${hostname} has no address`), '', 0);
        const first = addresses[0] as LookupAddress;
        if (options.all) return callback(null, addresses);
        return callback(null, first.address, first.family);
      });
    }) as unknown as LookupFunction;
  }
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

class AttemptTimeout extends Error {}
