/**
 * The webhook receiver the README shows ("A receiver in a few lines") works as printed: run as a real process,
 * it accepts the daemon's signed deliveries, refuses a forged one, and handles a redelivery (same webhook-id)
 * without processing it twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, inject, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { freePort } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import { REPO_ROOT } from '../daemon/cli-process.js';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
let child: ChildProcess | undefined;
let d: TestDaemon | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await d?.stop();
});

function readmeReceiver(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('A receiver in a few lines');
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !block) throw new Error('README has no receiver example');
  return block[1] as string;
}

it("the README's receiver verifies deliveries and handles a retry once", async () => {
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'pb-receiver-')), 'receiver.mjs');
  writeFileSync(file, readmeReceiver().replace('.listen(9000)', `.listen(${port})`));
  let out = '';
  child = spawn(process.execPath, [file], { env: { ...process.env, WEBHOOK_SECRET: SECRET } });
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(
    async () => (await fetch(url, { method: 'POST', body: '{}' }).catch(() => null))?.status === 401,
    {
      timeoutMs: 10_000,
      what: 'the receiver listening (and refusing an unsigned request)',
    },
  );

  d = await startTestDaemon({
    redisUrl: inject('redisUrl'),
    config: { webhooks: { allow: ['127.0.0.1'], backoff: { initialMs: 50, maxMs: 100 } } },
  });
  await d.request('admin', 'POST', '/v1/webhooks', {
    id: 'r',
    url,
    events: ['user.status.changed'],
    secret: SECRET,
  });
  await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
  await d.request('admin', 'PUT', '/v1/users/u1/status', { statusId: 'on-break' });
  const record = await waitFor(async () => {
    const list = await d!.request('admin', 'GET', '/v1/webhooks/r/deliveries');
    return list.body.items[0]?.status === 'delivered' && list.body.items[0];
  });
  expect(record.lastStatusCode).toBe(204);
  expect(out).toContain("to: 'on-break'");
  const printed = out;

  expect((await d.request('admin', 'POST', `/v1/webhooks/r/deliveries/${record.id}/redeliver`)).status).toBe(
    202,
  );
  await waitFor(async () => {
    const one = await d!.request('admin', 'GET', `/v1/webhooks/r/deliveries/${record.id}`);
    return one.body.status === 'delivered' && one.body.attempts === 2;
  });
  expect(out).toBe(printed); // answered 204 again, not handled twice

  const forged = await fetch(url, {
    method: 'POST',
    headers: {
      'webhook-id': 'x',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': 'v1,AAAA',
    },
    body: '{}',
  });
  expect(forged.status).toBe(401);
});
