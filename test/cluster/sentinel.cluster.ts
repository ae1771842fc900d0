/**
 * Redis Sentinel: the daemon configured with `redis.sentinel` asks a (private, local) sentinel for the master
 * and runs on it: status changes, the outbox and SSE work. Failover itself is not exercised here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { TestRedis, freePort, waitForPort } from '../harness/redis-server.js';
import { SseClient } from '../events/sse-client.js';

describe('daemon through Redis Sentinel', () => {
  const master = new TestRedis();
  let sentinel: ChildProcess | undefined;
  let d: TestDaemon;

  beforeAll(async () => {
    await master.start();
    const port = await freePort();
    const conf = join(master.dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `sentinel monitor pbmaster 127.0.0.1 ${master.port} 1`,
        'sentinel down-after-milliseconds pbmaster 5000',
        '',
      ].join('\n'),
    );
    // Sentinel mode of redis-server; it rewrites its config file, so that lives in the master's temp dir.
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    await waitForPort(port);
    d = await startTestDaemon({
      redisUrl: 'redis://127.0.0.1:1', // ignored: sentinel decides
      config: { redis: { sentinel: { sentinels: [`127.0.0.1:${port}`], name: 'pbmaster' } } },
    });
  });
  afterAll(async () => {
    await d?.stop();
    sentinel?.kill('SIGKILL');
    await master.destroy();
  });

  it('finds the master through the sentinel and serves status changes and events', async () => {
    expect(d.daemon.redis?.isCluster).toBe(false);
    const sse = await SseClient.connect(`${d.url}/v1/events`, { key: KEYS.admin });
    expect((await d.request('admin', 'PUT', '/v1/users/s1', { displayName: 'S' })).status).toBe(201);
    expect((await d.request('supervisor', 'PUT', '/v1/users/s1/status', { statusId: 'active' })).status).toBe(
      200,
    );
    await sse.next((e) => e.event === 'user.status.changed' && e.json.userId === 's1');
    sse.close();
    // The data is on the master the sentinel named.
    const keys = d.daemon.parts!.keys;
    const { Redis } = await import('ioredis');
    const direct = new Redis(master.url);
    expect(await direct.hexists(keys.user('s1'), 'state')).toBe(1);
    direct.disconnect();
  });
});
