/**
 * Webhook delivery against a real HTTP receiver on loopback: Standard Webhooks signatures that verify, the
 * SSE event as payload, retries after a 500 and after a timeout (same webhook-id, fresh timestamp and signature),
 * per-user order while the receiver answers slowly and sometimes fails, a delivery marked failed once its retry
 * window closes and sent again on request, a slow endpoint that does not delay another, the address check on
 * every attempt (DNS rebinding), redirects not followed, the user filter, metrics, and two daemons on one Redis
 * sending each delivery once.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';
import { verifySignature, WebhookReceiver, type Received } from './receiver.js';

const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const FAST = {
  allow: ['127.0.0.1'],
  timeoutMs: 300,
  backoff: { initialMs: 50, maxMs: 200 },
  retryForSeconds: 60,
};

const daemons: TestDaemon[] = [];
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const r of receivers.splice(0)) await r.stop();
});

async function daemon(webhooks: Record<string, unknown> = {}, prefix?: string): Promise<TestDaemon> {
  const d = await startTestDaemon({
    redisUrl: inject('redisUrl'),
    ...(prefix ? { prefix } : {}),
    config: { webhooks: { ...FAST, ...webhooks } },
  });
  daemons.push(d);
  return d;
}

async function receiver(): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver().start();
  receivers.push(r);
  return r;
}

async function endpoint(
  d: TestDaemon,
  r: WebhookReceiver,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const reply = await d.request('admin', 'POST', '/v1/webhooks', {
    url: r.url,
    events: ['user.status.changed'],
    secret: SECRET,
    ...extra,
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body.id as string;
}

/** Selects a status, creating the user on first use. */
async function select(d: TestDaemon, userId: string, statusId: string): Promise<void> {
  let reply = await d.request('admin', 'PUT', `/v1/users/${userId}/status`, { statusId });
  if (reply.status === 404) {
    await d.request('admin', 'PUT', `/v1/users/${userId}`, { displayName: userId });
    reply = await d.request('admin', 'PUT', `/v1/users/${userId}/status`, { statusId });
  }
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
}

const delivered = (r: WebhookReceiver, n: number, timeoutMs = 10_000) =>
  waitFor((): Received[] | null => (r.delivered().length >= n ? r.delivered() : null), {
    timeoutMs,
    what: `${n} deliveries`,
  });

describe('webhook delivery', () => {
  it('POSTs the SSE event, signed as Standard Webhooks describes', async () => {
    const d = await daemon();
    const r = await receiver();
    await endpoint(d, r);
    await select(d, 'u1', 'on-break');
    const [got] = (await delivered(r, 1)) as [Received];
    expect(got.id).toMatch(/^evt_\d+_\d+-\d+$/);
    expect(Math.abs(got.timestamp - Date.now() / 1000)).toBeLessThan(30);
    expect(got.signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifySignature(SECRET, got.id, String(got.timestamp), got.body, got.signature)).toBe(true);
    expect(verifySignature(SECRET, got.id, String(got.timestamp), `${got.body} `, got.signature)).toBe(false);
    const other = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    expect(verifySignature(other, got.id, String(got.timestamp), got.body, got.signature)).toBe(false);
    expect(got.json).toMatchObject({
      type: 'user.status.changed',
      timestamp: expect.any(String),
      data: { type: 'user.status.changed', userId: 'u1', to: 'on-break', at: got.json.timestamp },
    });
  });

  it('retries after a 500 with the same webhook-id, a new timestamp and signature, and records each attempt', async () => {
    const d = await daemon();
    const r = await receiver();
    let calls = 0;
    r.answer = () => (++calls <= 2 ? { status: 500 } : { status: 200 });
    const id = await endpoint(d, r);
    await select(d, 'u1', 'on-break');
    await delivered(r, 1);
    expect(r.requests).toHaveLength(3);
    expect(new Set(r.requests.map((q) => q.id)).size).toBe(1);
    for (const q of r.requests)
      expect(verifySignature(SECRET, q.id, String(q.timestamp), q.body, q.signature)).toBe(true);
    const list = await waitFor(async () => {
      const reply = await d.request('admin', 'GET', `/v1/webhooks/${id}/deliveries`);
      return reply.body.items[0]?.status === 'delivered' && reply.body.items;
    });
    expect(list[0]).toMatchObject({ attempts: 3, lastStatusCode: 200, lastError: null, userId: 'u1' });
    expect(list[0].recentAttempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 200]);
    expect(list[0].recentAttempts[0].error).toBe('HTTP 500');
    expect(list[0].body).toBeUndefined();
  });

  it('retries after a timeout', async () => {
    const d = await daemon();
    const r = await receiver();
    let calls = 0;
    r.answer = () => (++calls === 1 ? 'hang' : { status: 204 });
    const id = await endpoint(d, r);
    await select(d, 'u1', 'on-break');
    await delivered(r, 1);
    const reply = await waitFor(async () => {
      const one = await d.request('admin', 'GET', `/v1/webhooks/${id}/deliveries?status=delivered`);
      return one.body.items[0];
    });
    expect(reply.recentAttempts[0]).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' });
    expect(reply.recentAttempts[1]).toMatchObject({ statusCode: 204, error: null });
  });

  it("keeps each user's order while the receiver is slow and fails now and then", async () => {
    const d = await daemon();
    const r = await receiver();
    let n = 0;
    r.answer = () => (++n % 7 === 0 ? { status: 503 } : { status: 200, delayMs: n % 3 === 0 ? 15 : 0 });
    await endpoint(d, r);
    const users = ['o1', 'o2', 'o3', 'o4'];
    const rounds = 12;
    await Promise.all(
      users.map(async (u) => {
        for (let i = 0; i < rounds; i++) await select(d, u, i % 2 === 0 ? 'on-break' : 'active');
      }),
    );
    const got = await delivered(r, users.length * rounds, 20_000);
    for (const u of users) {
      const mine = got.filter((g) => g.json.data.userId === u);
      expect(mine.map((g) => g.json.data.to)).toEqual(
        Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? 'on-break' : 'active')),
      );
      // The stream ids in the webhook-ids grow (one user's events are in one partition stream).
      const ids = mine.map((g) => g.id.split('_')[2] as string);
      expect([...ids].sort(compareStreamIds)).toEqual(ids);
    }
  });

  it('marks a delivery failed when its retry window closes, and sends it again on request', async () => {
    const d = await daemon({ retryForSeconds: 1, backoff: { initialMs: 100, maxMs: 200 } });
    const r = await receiver();
    let healthy = false;
    r.answer = () => (healthy ? { status: 200 } : { status: 500 });
    const id = await endpoint(d, r);
    await select(d, 'u1', 'on-break');
    const failed = await waitFor(
      async () =>
        (await d.request('admin', 'GET', `/v1/webhooks/${id}/deliveries?status=failed`)).body.items[0],
      { timeoutMs: 5_000, what: 'a failed delivery' },
    );
    expect(failed.attempts).toBeGreaterThanOrEqual(3);
    expect(failed).toMatchObject({
      lastStatusCode: 500,
      nextAttemptAt: null,
      finishedAt: expect.any(String),
    });
    const metrics = String((await d.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metrics).toContain(`pb_webhook_deliveries_total{endpoint="${id}",outcome="failed"} 1`);

    healthy = true;
    const again = await d.request('admin', 'POST', `/v1/webhooks/${id}/deliveries/${failed.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('pending');
    await delivered(r, 1);
    expect(r.delivered()[0]?.id).toBe(failed.id);
    const done = await waitFor(async () => {
      const one = await d.request('admin', 'GET', `/v1/webhooks/${id}/deliveries/${failed.id}`);
      return one.body.status === 'delivered' && one.body;
    });
    expect(done.attempts).toBe(failed.attempts + 1);
    const twice = await d.request('admin', 'POST', `/v1/webhooks/${id}/deliveries/${failed.id}/redeliver`);
    expect(twice.status).toBe(202); // a delivered one may be sent again too
  });

  it('sends deliveries whose records were trimmed (webhooks.keepDeliveries) with their full body', async () => {
    const d = await daemon({ keepDeliveries: 100 });
    const r = await receiver();
    let healthy = false;
    r.answer = () => (healthy ? { status: 200 } : { status: 503 });
    const id = await endpoint(d, r);
    const users = ['k1', 'k2', 'k3'];
    for (let i = 0; i < 50; i++)
      for (const u of users) await select(d, u, i % 2 === 0 ? 'on-break' : 'active');
    healthy = true;
    const got = await delivered(r, 150, 20_000);
    for (const u of users) {
      const mine = got.filter((g) => g.json?.data?.userId === u);
      expect(mine.map((g) => g.json.data.to)).toEqual(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'on-break' : 'active')),
      );
    }
    const kept = await d.request('admin', 'GET', `/v1/webhooks/${id}/deliveries?limit=500`);
    expect(kept.body.items.length).toBeLessThanOrEqual(100);
  });

  it('does not let a dead endpoint delay another', async () => {
    const d = await daemon({ timeoutMs: 5_000, concurrency: 2 });
    const dead = await receiver();
    dead.answer = () => 'hang';
    const alive = await receiver();
    await endpoint(d, dead);
    await endpoint(d, alive);
    const started = Date.now();
    for (let i = 0; i < 10; i++) await select(d, `s${i}`, 'on-break');
    await delivered(alive, 10, 4_000);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(dead.delivered()).toHaveLength(0);
  });

  it('sends only the chosen types and users, and events about no user to everyone', async () => {
    const d = await daemon();
    const r = await receiver();
    await endpoint(d, r, { events: ['user.status.changed', 'status-type.changed'], users: ['f1'] });
    await select(d, 'f2', 'on-break');
    await select(d, 'f1', 'on-break');
    await d.request('admin', 'POST', '/v1/status-types', { id: 'lunch', name: 'Lunch', color: '#00AA00' });
    const got = await delivered(r, 2);
    await select(d, 'f1', 'active');
    await delivered(r, 3);
    expect(r.delivered().map((g) => [g.json.type, g.json.data.userId])).toEqual([
      ['user.status.changed', 'f1'],
      ['status-type.changed', null],
      ['user.status.changed', 'f1'],
    ]);
    expect(got).toHaveLength(2);
  });

  it('checks the address of every attempt: a listed name resolving to loopback is refused (DNS rebinding)', async () => {
    const d = await daemon({ allow: ['localhost'] });
    const r = await receiver();
    const id = await d
      .request('admin', 'POST', '/v1/webhooks', {
        url: `http://localhost:${r.port}/hook`,
        events: ['user.status.changed'],
      })
      .then((reply) => reply.body);
    // Refused when created already: localhost resolves to loopback, which no listed network covers.
    expect(id.error?.code).toBe('WEBHOOK_TARGET_FORBIDDEN');
    await d.stop();
    daemons.length = 0;
    // An endpoint of the configuration is not checked up front, but every attempt is.
    const d2 = await daemon({
      allow: ['localhost'],
      endpoints: [
        {
          id: 'rebound',
          url: `http://localhost:${r.port}/hook`,
          events: ['user.status.changed'],
          secret: SECRET,
        },
      ],
    });
    await select(d2, 'u1', 'on-break');
    const record = await waitFor(
      async () =>
        (await d2.request('admin', 'GET', '/v1/webhooks/rebound/deliveries')).body.items[0]?.attempts > 0 &&
        (await d2.request('admin', 'GET', '/v1/webhooks/rebound/deliveries')).body.items[0],
    );
    expect(record.lastError).toMatch(/private or reserved/);
    expect(r.requests).toHaveLength(0);
  });

  it('does not follow redirects', async () => {
    const d = await daemon({ retryForSeconds: 1, backoff: { initialMs: 100, maxMs: 100 } });
    const r = await receiver();
    const target = await receiver();
    r.answer = () => ({ status: 307 });
    const id = await endpoint(d, r);
    await select(d, 'u1', 'on-break');
    const record = await waitFor(
      async () =>
        (await d.request('admin', 'GET', `/v1/webhooks/${id}/deliveries?status=failed`)).body.items[0],
      { timeoutMs: 5_000 },
    );
    expect(record.lastStatusCode).toBe(307);
    expect(target.requests).toHaveLength(0);
  });

  it('reports delivered, failed and lag per endpoint in /metrics', async () => {
    const d = await daemon();
    const r = await receiver();
    const id = await endpoint(d, r);
    await select(d, 'u1', 'on-break');
    await delivered(r, 1);
    const metrics = await waitFor(async () => {
      const text = String((await d.app.inject({ method: 'GET', url: '/metrics' })).body);
      return text.includes(`pb_webhook_deliveries_total{endpoint="${id}",outcome="delivered"} 1`) && text;
    });
    expect(metrics).toMatch(new RegExp(`pb_webhook_delivery_lag_seconds_count\\{endpoint="${id}"\\} 1`));
    expect(metrics).toContain(`pb_webhook_lag_seconds{endpoint="${id}"} 0`);
    expect(metrics).toContain(`pb_webhook_queue_depth{endpoint="${id}"} 0`);
    expect(metrics).toContain(`pb_webhook_attempts_total{endpoint="${id}",outcome="success"} 1`);
  });

  it('with two daemons on one Redis, sends each delivery once', async () => {
    const prefix = uniquePrefix('wh2');
    const a = await daemon({}, prefix);
    const b = await daemon({}, prefix);
    const r = await receiver();
    await endpoint(a, r);
    for (let i = 0; i < 20; i++) {
      const status = Math.floor(i / 5) % 2 === 0 ? 'on-break' : 'active'; // each user alternates
      await select(i % 2 === 0 ? a : b, `t${i % 5}`, status);
    }
    await delivered(r, 20);
    // One daemon holds the webhook lease and sent them all; the other sent none.
    const sent = async (d: TestDaemon) => {
      const text = String((await d.app.inject({ method: 'GET', url: '/metrics' })).body);
      return Number(/^pb_webhook_deliveries_total\{[^}]*outcome="delivered"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    expect([await sent(a), await sent(b)].sort()).toEqual([0, 20]);
    expect(r.requests).toHaveLength(20);
    expect(new Set(r.requests.map((q) => q.id)).size).toBe(20);
    // …and each user's in the order committed, whichever daemon committed them.
    for (let u = 0; u < 5; u++) {
      const mine = r.delivered().filter((q) => q.json.data.userId === `t${u}`);
      expect(mine.map((q) => q.json.data.to)).toEqual(['on-break', 'active', 'on-break', 'active']);
    }
  });
});

function compareStreamIds(x: string, y: string): number {
  const [xm, xs] = x.split('-').map(Number) as [number, number];
  const [ym, ys] = y.split('-').map(Number) as [number, number];
  return xm - ym || xs - ys;
}
