/**
 * /v1/webhooks against the real daemon and Redis: admin only, create (a generated secret is shown once, then
 * only its hint), list, get, update with version, delete, endpoints of the configuration read-only, every bad
 * input answered with a stable code and changing nothing, and targets refused by the allow-list.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
let d: TestDaemon | undefined;
afterEach(async () => d?.stop());

const start = (webhooks: Record<string, unknown> = {}) =>
  startTestDaemon({
    redisUrl: inject('redisUrl'),
    config: { webhooks: { allow: ['127.0.0.1'], ...webhooks } },
  });

describe('/v1/webhooks', () => {
  it('creates, lists, gets, updates and deletes an endpoint; the secret is shown once, when generated', async () => {
    d = await start();
    const created = await d.request('admin', 'POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['user.status.changed'],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^wh-[0-9a-f]{12}$/);
    expect(created.headers.location).toBe(`/v1/webhooks/${id}`);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body).toMatchObject({ users: null, source: 'api', version: 1, description: '' });
    expect(created.body.secretHint).toBe(`${(created.body.secret as string).slice(0, 10)}…`);

    const got = await d.request('admin', 'GET', `/v1/webhooks/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain((created.body.secret as string).slice(10));
    const list = await d.request('admin', 'GET', '/v1/webhooks');
    expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([id]);
    expect(JSON.stringify(list.body)).not.toContain((created.body.secret as string).slice(10));

    const patched = await d.request('admin', 'PATCH', `/v1/webhooks/${id}`, {
      users: ['u1'],
      events: ['user.status.changed', 'user.shift.started'],
      secret: SECRET,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ users: ['u1'], version: 2, secretHint: `${SECRET.slice(0, 10)}…` });
    expect(patched.body.secret).toBeUndefined();

    expect((await d.request('admin', 'DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    const gone = await d.request('admin', 'GET', `/v1/webhooks/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('does not show a secret the admin gave, and refuses a second endpoint with the same id', async () => {
    d = await start();
    const body = { id: 'crm', url: 'http://127.0.0.1:9/a', events: ['user.status.changed'], secret: SECRET };
    const created = await d.request('admin', 'POST', '/v1/webhooks', body);
    expect(created.status).toBe(201);
    expect(created.body.secret).toBeUndefined();
    const again = await d.request('admin', 'POST', '/v1/webhooks', body);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('WEBHOOK_EXISTS');
  });

  it('is for admins only', async () => {
    d = await start();
    for (const role of ['supervisor', 'integration', 'agent'] as const) {
      expect((await d.request(role, 'GET', '/v1/webhooks')).status).toBe(403);
      const post = await d.request(role, 'POST', '/v1/webhooks', {
        url: 'http://127.0.0.1:9/a',
        events: ['user.status.changed'],
      });
      expect(post.status).toBe(403);
    }
    expect((await d.request(null, 'GET', '/v1/webhooks')).status).toBe(401);
    expect((await d.request('admin', 'GET', '/v1/webhooks')).body.items).toEqual([]);
  });

  it('refuses bad input with VALIDATION_FAILED and creates nothing', async () => {
    d = await start();
    const bad = [
      { url: 'http://127.0.0.1:9/a', events: ['user.deleted'] }, // internal type
      { url: 'http://127.0.0.1:9/a', events: [] },
      { url: 'ftp://127.0.0.1/a', events: ['user.status.changed'] },
      { url: 'not a url', events: ['user.status.changed'] },
      { url: 'http://127.0.0.1:9/a', events: ['user.status.changed'], secret: 'plain-secret' },
      { url: 'http://127.0.0.1:9/a', events: ['user.status.changed'], id: 'Bad Id' },
      { url: 'http://127.0.0.1:9/a', events: ['user.status.changed'], extra: 1 },
    ];
    for (const body of bad) {
      const reply = await d.request('admin', 'POST', '/v1/webhooks', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await d.request('admin', 'GET', '/v1/webhooks')).body.items).toEqual([]);
  });

  it('refuses targets outside webhooks.allow, private addresses by default, and credentials in the URL', async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') }); // default: public addresses only
    for (const url of [
      'http://127.0.0.1:8080/a',
      'http://10.1.2.3/a',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:8080/a',
      'http://[::ffff:127.0.0.1]/a',
      'http://localhost:8080/a', // resolves to loopback
      'https://user:pw@hooks.example.com/a',
    ]) {
      const reply = await d.request('admin', 'POST', '/v1/webhooks', {
        url,
        events: ['user.status.changed'],
      });
      expect(reply.status, url).toBe(422);
      expect(reply.body.error.code).toBe('WEBHOOK_TARGET_FORBIDDEN');
    }
    await d.stop();
    d = await start({ allow: ['hooks.example.com', '10.20.0.0/16'] });
    for (const url of ['http://10.1.2.3/a', 'http://127.0.0.1:9/a', 'http://[fe80::1]/a']) {
      const reply = await d.request('admin', 'POST', '/v1/webhooks', {
        url,
        events: ['user.status.changed'],
      });
      expect(reply.status, url).toBe(422);
    }
    const inNetwork = await d.request('admin', 'POST', '/v1/webhooks', {
      url: 'http://10.20.3.4/a',
      events: ['user.status.changed'],
    });
    expect(inNetwork.status).toBe(201);
    expect((await d.request('admin', 'GET', '/v1/webhooks')).body.items).toHaveLength(1);
  });

  it('lists the endpoints of the configuration, read-only', async () => {
    d = await start({
      endpoints: [
        { id: 'wallboard', url: 'http://127.0.0.1:9/w', events: ['user.status.changed'], secret: SECRET },
      ],
    });
    const list = await d.request('admin', 'GET', '/v1/webhooks');
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: 'wallboard', source: 'config', secretHint: `${SECRET.slice(0, 10)}…` }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(SECRET.slice(10));
    const patch = await d.request('admin', 'PATCH', '/v1/webhooks/wallboard', { users: ['u1'] });
    expect(patch.status).toBe(409);
    expect(patch.body.error.code).toBe('WEBHOOK_FROM_CONFIG');
    expect((await d.request('admin', 'DELETE', '/v1/webhooks/wallboard')).body.error.code).toBe(
      'WEBHOOK_FROM_CONFIG',
    );
    const clash = await d.request('admin', 'POST', '/v1/webhooks', {
      id: 'wallboard',
      url: 'http://127.0.0.1:9/x',
      events: ['user.status.changed'],
    });
    expect(clash.body.error.code).toBe('WEBHOOK_EXISTS');
  });

  it('answers 404 for deliveries of an unknown endpoint or delivery', async () => {
    d = await start();
    expect((await d.request('admin', 'GET', '/v1/webhooks/ghost/deliveries')).body.error.code).toBe(
      'WEBHOOK_NOT_FOUND',
    );
    await d.request('admin', 'POST', '/v1/webhooks', {
      id: 'a',
      url: 'http://127.0.0.1:9/a',
      events: ['user.status.changed'],
    });
    const missing = await d.request('admin', 'POST', '/v1/webhooks/a/deliveries/evt_1_1-0/redeliver');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('WEBHOOK_DELIVERY_NOT_FOUND');
  });
});
