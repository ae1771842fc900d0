/**
 * Requests that reach a stopping daemon (API.md "Conventions": errors are {"error": {code, message}}; NOT_READY
 * covers "starting or stopping"). A request that was already being received completes; one that arrives after the
 * stop began on the same keep-alive connection is answered 503 NOT_READY in the API's error format.
 *
 * Deterministic without sleeps: the first request is sent with `Expect: 100-continue` and its body held back, so it
 * is known to be routed (the server said "100 Continue") and keeps the connection busy while the stop begins.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/** Splits what arrived on a socket into HTTP/1.1 responses (Content-Length framed; 1xx skipped). */
function responses(raw: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const head = rest.slice(0, end);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (rest.length < end + 4 + length) return out;
    if (status >= 200) out.push({ status, headers: head, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

describe('a daemon that is stopping', () => {
  let d: TestDaemon | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.destroy();
    await d?.stop();
  });

  it('finishes the request in progress and answers a later one on the same connection 503 NOT_READY', async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
    const { port } = new URL(d.url);
    const s = connect({ host: '127.0.0.1', port: Number(port) });
    socket = s;
    s.setEncoding('latin1');
    let seen = '';
    s.on('data', (chunk: string) => (seen += chunk));
    await new Promise((resolve) => s.once('connect', resolve));

    const body = '{"displayName":"Dana"}';
    s.write(
      [
        'PUT /v1/users/u1 HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${KEYS.admin}`,
        'Content-Type: application/json',
        `Content-Length: ${body.length}`,
        'Expect: 100-continue',
        '',
        '',
      ].join('\r\n'),
    );
    await waitFor(() => seen.startsWith('HTTP/1.1 100'), { what: '100 Continue' });

    const daemon = d;
    const stopped = daemon.stop();
    await waitFor(() => !daemon.app.server.listening, { what: 'the server stopped listening' });
    s.write(
      `${body}GET /v1/status-types HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEYS.admin}\r\n\r\n`,
    );
    const [first, second] = await waitFor(() => (responses(seen).length >= 2 ? responses(seen) : null), {
      what: 'both answers',
    });
    await stopped;

    expect(first!.status).toBe(201);
    expect(JSON.parse(first!.body)).toMatchObject({ id: 'u1', displayName: 'Dana' });
    expect(second!.status).toBe(503);
    expect(second!.headers).toMatch(/^connection: close$/im);
    expect(JSON.parse(second!.body)).toEqual({
      error: { code: 'NOT_READY', message: expect.stringContaining('stopping') },
    });
  });
});
