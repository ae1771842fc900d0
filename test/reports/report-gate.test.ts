/**
 * Reports are bounded: at most reports.maxConcurrent run, reports.maxQueued wait, the rest get 429 REPORTS_BUSY
 * with Retry-After at once, and a waiting report is refused once it has waited queueTimeoutMs.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ReportGate } from '../../src/bridge/reports/report-gate.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

const WINDOW = 'from=2024-03-01T00:00:00Z&to=2024-06-01T00:00:00Z';

describe('ReportGate', () => {
  it('runs maxConcurrent at once, queues maxQueued in order, refuses the rest', async () => {
    const gate = new ReportGate({ maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 60_000 });
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const first = gate.run(async () => {
      await blocked;
      order.push('first');
    });
    const second = gate.run(async () => void order.push('second'));
    await expect(gate.run(async () => 'third')).rejects.toMatchObject({ code: 'REPORTS_BUSY' });
    expect(gate.active).toBe(1);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(gate.active).toBe(0);
  });

  it('refuses a report that waited too long for its turn', async () => {
    const gate = new ReportGate({ maxConcurrent: 1, maxQueued: 5, queueTimeoutMs: 20 });
    let release: () => void = () => undefined;
    const running = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(gate.run(async () => 'late')).rejects.toMatchObject({ code: 'REPORTS_BUSY' });
    release();
    await running;
    expect(await gate.run(async () => 'now')).toBe('now');
  });
});

describe('GET /v1/reports/time-in-status under load', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon({
      redisUrl: inject('redisUrl'),
      config: { reports: { maxConcurrent: 1, maxQueued: 0, retryAfterSeconds: 9 } },
    });
  });
  afterAll(async () => d?.stop());

  it('answers 429 REPORTS_BUSY with Retry-After while the one allowed report runs', async () => {
    const store = d.daemon.parts!.reportStore;
    const pageIds = store.pageIds.bind(store);
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    store.pageIds = async (...args: Parameters<typeof store.pageIds>) => {
      entered = true;
      await blocked;
      return pageIds(...args);
    };
    try {
      const first = d.request('supervisor', 'GET', `/v1/reports/time-in-status?${WINDOW}`);
      await waitFor(() => entered, { what: 'the first report to start' });
      const second = await d.request('supervisor', 'GET', `/v1/reports/time-in-status?${WINDOW}`);
      expect(second.status).toBe(429);
      expect(second.body.error.code).toBe('REPORTS_BUSY');
      expect(second.headers['retry-after']).toBe('9');
      // Agents' own work is not queued behind reports.
      expect((await d.request('agent', 'GET', '/v1/me')).status).toBe(200);
      release();
      expect((await first).status).toBe(200);
    } finally {
      store.pageIds = pageIds;
      release();
    }
  });
});
