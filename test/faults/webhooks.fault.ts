/**
 * Webhooks under faults, against a real receiver on loopback: the daemon (a child process) is killed with SIGKILL
 * while deliveries are in flight and restarted, and then the receiver is down for a minute (FAULTS_SHORT=1: a few
 * seconds) while status changes go on. Afterwards every user.status.changed committed to the outbox has been
 * delivered (a 2xx) with a valid signature, each user's deliveries arrived in commit order, and the only
 * duplicates are deliveries that were in flight at a kill (at least once; receivers deduplicate by webhook-id).
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Keys } from '../../src/bridge/redis/keys.js';
import { KEYS } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';
import { verifySignature, WebhookReceiver } from '../webhooks/receiver.js';
import { call, ChildDaemon, figure, must, pace, size } from './support.js';

const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const USERS = Array.from({ length: size(6, 12) }, (_, i) => `wf${i}`);
const LOAD_MS = size(6_000, 20_000);
const KILLS = size(2, 4);
const DOWN_MS = size(5_000, 60_000);

const receiver = new WebhookReceiver();
afterAll(() => receiver.stop());

/** Every user.status.changed in the outbox streams, as delivery ids, by user in commit order. */
async function committed(prefix: string): Promise<Map<string, string[]>> {
  const client = new Redis(inject('redisUrl'));
  const keys = new Keys(prefix, 4);
  const byUser = new Map<string, string[]>();
  try {
    for (const p of keys.allPartitions()) {
      for (const [id, fields] of await client.xrange(keys.events(p), '-', '+')) {
        if (fields[1] !== 'user.status.changed') continue;
        const user = fields[3] as string;
        byUser.set(user, [...(byUser.get(user) ?? []), `evt_${p}_${id}`]);
      }
    }
  } finally {
    client.disconnect();
  }
  return byUser;
}

/**
 * Status changes for every user until `until`, about 25 per user and second (errors while the daemon is down
 * ignored): in the full form a minute of them queues ~18,000 deliveries for the receiver that is down.
 */
async function load(base: string, until: number): Promise<number> {
  let ok = 0;
  await Promise.all(
    USERS.map(async (user, u) => {
      for (let i = u; Date.now() < until; i++) {
        const reply = await call(base, KEYS.admin, 'PUT', `/v1/users/${user}/status`, {
          statusId: i % 2 === 0 ? 'on-break' : 'active',
        });
        if (reply.status === 200) ok += 1;
        await pace(30, 50);
      }
    }),
  );
  return ok;
}

describe('webhooks under faults', () => {
  it('delivers every committed change, in order per user, across kill -9 and a receiver down', async () => {
    await receiver.start(await freePort());
    receiver.answer = () => ({ status: 200, delayMs: 20 }); // deliveries are in flight most of the time
    const prefix = uniquePrefix('whf');
    const daemon = new ChildDaemon({
      redisUrl: inject('redisUrl'),
      prefix,
      port: await freePort(),
      sections: {
        webhooks: {
          allow: ['127.0.0.1'],
          timeoutMs: 1_000,
          backoff: { initialMs: 100, maxMs: 1_000 },
          retryForSeconds: 3_600,
          endpoints: [{ id: 'faults', url: receiver.url, events: ['user.status.changed'], secret: SECRET }],
        },
      },
    });
    const base = daemon.base;
    await daemon.start();
    for (const user of USERS) await must(base, 'PUT', `/v1/users/${user}`, { displayName: user });

    // 1. kill -9 while deliveries are in flight
    const startedAt = Date.now();
    const killer = async () => {
      for (let k = 0; k < KILLS; k++) {
        const at = startedAt + (LOAD_MS * (k + 0.3 + Math.random() / 2)) / KILLS;
        await pace(at - Date.now(), at - Date.now());
        await daemon.kill();
        await daemon.start();
      }
    };
    const [changes] = await Promise.all([load(base, startedAt + LOAD_MS), killer()]);

    // 2. the receiver goes down; changes go on; it comes back after DOWN_MS
    await receiver.stop();
    const downAt = Date.now();
    const changesWhileDown = await load(base, downAt + DOWN_MS);
    receiver.answer = () => ({ status: 200 }); // back, and quick
    await receiver.start(receiver.port);

    const expected = await committed(prefix);
    const total = [...expected.values()].reduce((n, ids) => n + ids.length, 0);
    await waitFor(() => receiver.delivered().length >= total, {
      timeoutMs: size(60_000, 180_000),
      intervalMs: 100,
      what: `${total} deliveries`,
    }).catch(() => undefined); // the checks below say what is missing
    const caughtUpMs = Date.now() - downAt - DOWN_MS;

    const delivered = receiver.delivered();
    const got = new Set(delivered.map((r) => r.id));
    const missing = [...expected.values()].flat().filter((id) => !got.has(id));
    // Order: the first 2xx of each delivery, per user, against the commit order of those delivered.
    const byId = new Map(delivered.map((r) => [r.id, r]));
    const disorder = [...expected].flatMap(([user, ids]) => {
      const order = delivered.filter((r) => r.json?.data?.userId === user).map((r) => r.id);
      const want = ids.filter((id) => got.has(id));
      if (order.join() === want.join()) return [];
      const k = order.findIndex((id, i) => id !== want[i]);
      const show = (id: string | undefined) => {
        const r = id === undefined ? undefined : byId.get(id);
        return `${id}@${r ? new Date(r.receivedAt).toISOString().slice(11, 23) : '?'}:${r?.json?.data?.userId}`;
      };
      return [
        `${user}: ${order.length} of ${want.length} out of commit order from ${k}: got ${order
          .slice(k, k + 2)
          .map(show)
          .join(' ')} want ${want
          .slice(k, k + 2)
          .map(show)
          .join(' ')}`,
      ];
    });
    const badSignatures = receiver.requests.filter(
      (r) => !verifySignature(SECRET, r.id, String(r.timestamp), r.body, r.signature),
    );
    const duplicates = receiver.requests.filter((r) => r.answered === 200).length - got.size;
    const metrics = String((await call(base, KEYS.admin, 'GET', '/metrics')).body);
    figure(
      `webhooks: ${KILLS} kills during ${LOAD_MS / 1000} s of load, receiver down ${DOWN_MS / 1000} s; ` +
        `${total} changes committed (${changes} + ${changesWhileDown} acknowledged), ${missing.length} not delivered, ` +
        `${disorder.length} users out of order, ${duplicates} duplicates (in flight at a kill), caught up ` +
        `${caughtUpMs} ms after the receiver came back`,
    );
    expect(missing).toEqual([]);
    expect(disorder).toEqual([]);
    expect(badSignatures).toHaveLength(0);
    expect(total).toBeGreaterThan(size(100, 500));
    expect(changesWhileDown).toBeGreaterThan(0);
    expect(metrics).toMatch(/pb_webhook_queue_depth\{endpoint="faults"\} 0/);
    expect(daemon.errors(), 'error lines in the daemon logs').toEqual([]);
    await daemon.kill();
  });
});
