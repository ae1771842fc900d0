/**
 * The axios instance for one PBX: base URL, timeout, keep-alive, JSON. TLS verification is always on; a
 * self-signed PBX is trusted by giving its certificate as `caFile` (never by turning verification off).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import axios, { type AxiosInstance } from 'axios';
import type { ThreeCxAdapterOptions } from './options.js';

export interface HttpStack {
  http: AxiosInstance;
  /** Trusted CAs for the WebSocket upgrade (the HTTP agent's); undefined = Node's defaults. */
  ca: Array<string | Buffer> | undefined;
  close(): void;
}

export function createHttpStack(options: ThreeCxAdapterOptions): HttpStack {
  // `ca` replaces Node's trust store; keep the public roots so a later public certificate still works.
  const ca = options.caFile === undefined ? undefined : [...rootCertificates, readFileSync(options.caFile)];
  const httpsAgent = new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  const httpAgent = new http.Agent({ keepAlive: true });
  const instance = axios.create({
    baseURL: options.url,
    timeout: options.requestTimeoutMs,
    httpAgent,
    httpsAgent,
    // A redirect could carry the Bearer token elsewhere; 3CX never redirects its API.
    maxRedirects: 0,
    headers: { Accept: 'application/json' },
  });
  return { http: instance, ca, close: () => (httpAgent.destroy(), httpsAgent.destroy()) };
}
