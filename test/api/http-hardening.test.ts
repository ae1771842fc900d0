/**
 * The HTTP server against hostile clients, over real sockets: a refused request whose body is still arriving is
 * answered and its connection closed; a trickled request runs into the request timeout; oversized headers get
 * 431; security headers on /docs and API answers; traversal-like asset paths get 404/400, never 500.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureConsoleBuilt } from '../console/browser.js';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

let d: TestDaemon;

beforeAll(async () => {
  await ensureConsoleBuilt();
  d = await startTestDaemon({
    redisUrl: inject('redisUrl'),
    config: { server: { host: '127.0.0.1', port: 0, requestTimeoutMs: 1_500, headersTimeoutMs: 1_000 } },
  });
});
afterAll(async () => d?.stop());

interface RawExchange {
  socket: Socket;
  received: () => string;
  closed: () => boolean;
}

function raw(head: string): Promise<RawExchange> {
  const { port } = new URL(d.url);
  return new Promise((resolve, reject) => {
    let text = '';
    let closed = false;
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(head);
      resolve({ socket, received: () => text, closed: () => closed });
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

/** Sends a byte now and then, like a slow-body attacker, until the socket closes. */
function trickle(x: RawExchange): () => void {
  const timer = setInterval(() => {
    if (!x.closed()) x.socket.write('a');
  }, 100);
  return () => clearInterval(timer);
}

describe('slow and oversized requests', () => {
  it.each([
    ['PUT /v1/users/u1/status', 10_000_000, 401],
    ['PUT /v1/users/u1/status', 60_000, 401],
    ['POST /v1/no-such-route', 60_000, 404],
  ])(
    'answers %s (unauthenticated) declaring %i bytes of body at once (%i), and closes its connection',
    async (route, length, status) => {
      const x = await raw(
        `${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${length}\r\n\r\n{"statusId":`,
      );
      const stop = trickle(x);
      try {
        const started = Date.now();
        await waitFor(() => x.closed(), { what: 'the connection to be closed', timeoutMs: 5_000 });
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(x.received().slice(0, 300)).toMatch(new RegExp(`^HTTP/1[.]1 ${status}`));
        expect(x.received().toLowerCase()).toContain('connection: close');
      } finally {
        stop();
      }
    },
  );

  it('gives up on an authenticated request whose body trickles past the request timeout (408)', async () => {
    const x = await raw(
      `PUT /v1/users/slow-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.admin}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"displayName":"',
    );
    const stop = trickle(x);
    try {
      await waitFor(() => x.closed(), { what: 'the connection to be closed', timeoutMs: 8_000 });
      expect(x.received()).toMatch(/^HTTP\/1\.1 408/);
      expect(x.received()).toContain('"code":"REQUEST_TIMEOUT"');
    } finally {
      stop();
    }
  });

  it('answers 431 HEADERS_TOO_LARGE to a 17 KB header', async () => {
    const x = await raw(`GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
    await waitFor(() => x.closed(), { what: 'the answer' });
    expect(x.received()).toMatch(/^HTTP\/1\.1 431/);
    expect(x.received()).toContain('"code":"HEADERS_TOO_LARGE"');
  });

  it('keeps an answered, fully read request on its keep-alive connection', async () => {
    const res = await fetch(`${d.url}/v1/me`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).not.toBe('close');
  });
});

describe('security headers', () => {
  it('sends nosniff and no-store on API answers, errors included', async () => {
    for (const key of [KEYS.admin, 'not-a-key']) {
      const res = await fetch(`${d.url}/v1/status-types`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves /docs with a content security policy, no framing and nosniff', async () => {
    const res = await fetch(`${d.url}/docs/static/index.html`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('traversal-like asset paths', () => {
  it.each([
    '..%2Findex.html',
    '..%2F..%2Fpackage.json',
    '%00',
    'a%00.js',
    '..%5Cindex.html',
    '..\\index.html',
  ])('/console/assets/%s answers 404 or 400', async (path) => {
    const x = await raw(`GET /console/assets/${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await waitFor(() => x.closed(), { what: 'the answer' });
    expect(x.received()).toMatch(/^HTTP\/1\.1 (404|400)/);
  });
});
