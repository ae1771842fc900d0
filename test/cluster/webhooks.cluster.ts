/**
 * Webhooks on a Redis Cluster: every script and pipeline of the fan-out, the delivery queue and the endpoint
 * registry stays in one slot, events of every partition are delivered in order per user, and redelivery works.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { verifySignature, WebhookReceiver } from '../webhooks/receiver.js';
import { startClusterDaemon } from './helpers.js';

const SECRET = `whsec_${Buffer.alloc(32, 8).toString('base64')}`;

describe('webhooks on Redis Cluster', () => {
  let d: TestDaemon | undefined;
  const receiver = new WebhookReceiver();
  afterEach(async () => {
    await d?.stop();
    await receiver.stop();
  });

  it('delivers events of every partition, signed and in order, and redelivers on request', async () => {
    await receiver.start();
    d = await startClusterDaemon({ config: { webhooks: { allow: ['127.0.0.1'] } } });
    const created = await d.request('admin', 'POST', '/v1/webhooks', {
      id: 'wall',
      url: receiver.url,
      events: ['user.status.changed'],
      secret: SECRET,
    });
    expect(created.status).toBe(201);
    const users = Array.from({ length: 12 }, (_, i) => `cw${i}`);
    for (const u of users) await d.request('admin', 'PUT', `/v1/users/${u}`, { displayName: u });
    for (const statusId of ['on-break', 'active', 'on-break'])
      for (const u of users)
        expect((await d.request('admin', 'PUT', `/v1/users/${u}/status`, { statusId })).status).toBe(200);
    await waitFor(() => receiver.delivered().length >= users.length * 3, {
      timeoutMs: 15_000,
      what: 'deliveries',
    });
    const partitions = new Set(receiver.delivered().map((r) => r.id.split('_')[1]));
    expect(partitions.size).toBeGreaterThan(3);
    for (const u of users) {
      const mine = receiver.delivered().filter((r) => r.json.data.userId === u);
      expect(mine.map((r) => r.json.data.to)).toEqual(['on-break', 'active', 'on-break']);
    }
    for (const r of receiver.requests)
      expect(verifySignature(SECRET, r.id, String(r.timestamp), r.body, r.signature)).toBe(true);

    const first = receiver.delivered()[0]!;
    await waitFor(
      async () =>
        (await d!.request('admin', 'GET', `/v1/webhooks/wall/deliveries/${first.id}`)).body.status ===
        'delivered',
    );
    expect(
      (await d.request('admin', 'POST', `/v1/webhooks/wall/deliveries/${first.id}/redeliver`)).status,
    ).toBe(202);
    await waitFor(() => receiver.requests.filter((r) => r.id === first.id).length === 2, {
      what: 'the redelivery',
    });
    const metrics = String((await d.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metrics).toContain('pb_webhook_queue_depth{endpoint="wall"}');
  });
});
