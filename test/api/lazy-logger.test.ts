/**
 * The request's child logger is made on first use only (src/bridge/http/lazy-logger.ts): a request that logs
 * nothing costs no pino child; one that logs gets the usual request-id binding.
 */
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLogger } from '../../src/bridge/http/lazy-logger.js';
import { createLogger } from '../../src/bridge/logger.js';

function app() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', { write: (chunk: string) => lines.push(JSON.parse(chunk)) });
  const child = vi.spyOn(log, 'child');
  const server = Fastify({
    loggerInstance: log,
    childLoggerFactory: lazyChildLogger,
    disableRequestLogging: true,
  });
  server.get('/quiet', async () => ({ ok: true }));
  server.get('/loud', async (request) => {
    request.log.warn({ what: 'x' }, 'something');
    request.log.info('again');
    return { ok: true };
  });
  return { server, lines, child };
}

describe('lazy request logger', () => {
  it('makes no child logger for a request that logs nothing', async () => {
    const { server, child } = app();
    await server.ready();
    child.mockClear();
    const res = await server.inject({ method: 'GET', url: '/quiet' });
    expect(res.statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();
    await server.close();
  });

  it('makes it once, bound to the request id, when the request logs', async () => {
    const { server, lines, child } = app();
    await server.ready();
    child.mockClear();
    await server.inject({ method: 'GET', url: '/loud' });
    expect(child).toHaveBeenCalledTimes(1);
    const mine = lines.filter((l) => l.msg === 'something' || l.msg === 'again');
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ what: 'x', level: 40 });
    expect(mine[0]?.reqId).toBeDefined();
    expect(mine[1]?.reqId).toBe(mine[0]?.reqId);
    await server.close();
  });
});
