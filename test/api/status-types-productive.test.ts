/** StatusType.productive over HTTP (issue #12, point 7): defaults from call handling, editable, on every type. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';

describe('status type productive', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
  });
  afterAll(async () => d?.stop());

  it('is true for Active and Idle, false for On Break and Offline', async () => {
    const types = (await d.request('agent', 'GET', '/v1/status-types')).body as Array<{
      id: string;
      productive: boolean;
    }>;
    expect(Object.fromEntries(types.map((t) => [t.id, t.productive]))).toEqual({
      active: true,
      idle: true,
      'on-break': false,
      offline: false,
    });
  });

  it('defaults to whether the type takes queue calls, and can be set and changed', async () => {
    const queue = await d.request('admin', 'POST', '/v1/status-types', {
      name: 'Outbound campaign',
      color: '#118844',
      callHandling: { queueLogin: true },
    });
    expect(queue.body.productive).toBe(true);
    const lunch = await d.request('admin', 'POST', '/v1/status-types', { name: 'Lunch', color: '#AA5500' });
    expect(lunch.body.productive).toBe(false);
    const training = await d.request('admin', 'POST', '/v1/status-types', {
      name: 'Training',
      color: '#3355AA',
      productive: true,
    });
    expect(training.body.productive).toBe(true);
    const edited = await d.request('admin', 'PATCH', '/v1/status-types/lunch', { productive: true });
    expect(edited.status).toBe(200);
    expect((await d.request('agent', 'GET', '/v1/status-types/lunch')).body.productive).toBe(true);
    const bad = await d.request('admin', 'PATCH', '/v1/status-types/lunch', { productive: 'yes' });
    expect(bad.status).toBe(400);
  });
});
