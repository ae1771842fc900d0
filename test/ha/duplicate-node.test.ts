/**
 * One configuration file for two daemons (docker/compose.two.yaml mounts one file into both containers), with the
 * same ha.nodeName in it: each PBX connection is still held by exactly one of them (one AMI session per fake
 * PBX), and both daemons detect, log and show the duplicate name in GET /v1/pbx.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, killAll, tempDir, writeConfig } from '../daemon/cli-process.js';
import { FakeAmiServer } from '../fakes/fake-ami-server.js';
import { freepbxConnection } from '../harness/pbx.js';
import { uniquePrefix } from '../harness/prefix.js';
import { TestRedis } from '../harness/redis-server.js';
import { waitFor } from '../harness/wait.js';

const ADMIN = 'ha-dup-admin-key-0123456789';
const LEASE_TTL_MS = 1500;

let redis: TestRedis;
beforeAll(async () => {
  redis = await new TestRedis().start();
});
afterAll(async () => redis.destroy());
afterEach(async () => killAll());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of the API
async function pbxView(url: string): Promise<any> {
  const res = await fetch(`${url}/v1/pbx`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return res.json();
}

describe('two daemons with the same configuration', () => {
  it('hold each PBX connection once, and report the duplicate node name', async () => {
    const fakes = await Promise.all([new FakeAmiServer().start(), new FakeAmiServer().start()]);
    const config = {
      server: { host: '127.0.0.1', port: 0 },
      redis: { url: redis.url, keyPrefix: uniquePrefix('dup'), embedded: 'never', partitions: 2 },
      auth: { keys: [{ name: 'admin', role: 'admin', key: ADMIN }] },
      ha: { leaseTtlMs: LEASE_TTL_MS, nodeName: 'bridge-1' },
      log: { level: 'info' },
      pbx: fakes.map((fake, i) => ({ ...freepbxConnection(fake), id: `pbx-${i}` })),
    };
    const file = writeConfig(tempDir('pb-dup-'), JSON.stringify(config));
    const daemons = [new CliProcess(['--config', file]), new CliProcess(['--config', file])];
    const urls = await Promise.all(daemons.map((d) => d.baseUrl()));

    const view = await waitFor(
      async () => {
        const v = await pbxView(urls[0] as string);
        const ready =
          v.duplicateNodeNames.length === 1 &&
          v.connections.every((c: { connected: boolean }) => c.connected);
        return ready ? v : undefined;
      },
      { timeoutMs: 10_000, what: 'both connections held and the duplicate seen' },
    );
    expect(view.duplicateNodeNames).toEqual(['bridge-1']);
    expect(view.daemons).toHaveLength(2);
    const instances = view.daemons.map((d: { instanceId: string }) => d.instanceId);
    expect(new Set(instances).size).toBe(2);
    for (const c of view.connections) {
      expect(c.heldBy).toBe('bridge-1');
      expect(instances).toContain(c.heldByInstance);
    }

    // Let both daemons run lease rounds well past the first one: the daemon that did not take a connection
    // keeps trying, and must keep failing.
    const from = Date.now();
    await waitFor(
      async () => {
        const v = await pbxView(urls[1] as string);
        return v.daemons.every((d: { lastSeenAt: string }) => Date.parse(d.lastSeenAt) > from + LEASE_TTL_MS);
      },
      { timeoutMs: 10_000, what: 'both daemons past another lease length of rounds' },
    );
    for (const fake of fakes) {
      expect(fake.authenticatedSessions).toBe(1);
      expect(fake.loginAttempts).toBe(1);
    }
    const taken = daemons.flatMap((d) =>
      d
        .logs()
        .filter((l) => l.msg === 'took the PBX connection lease')
        .map((l) => l.pbx),
    );
    expect(taken.sort()).toEqual(['pbx-0', 'pbx-1']);

    for (const d of daemons) {
      const line = await d.waitForLog('duplicate node name');
      expect(line.level).toBe(50);
      expect(line.node).toBe('bridge-1');
    }
    const other = await pbxView(urls[1] as string);
    expect(other.duplicateNodeNames).toEqual(['bridge-1']);
    expect(other.daemons.filter((d: { self: boolean }) => d.self)).toHaveLength(1);
    await Promise.all(fakes.map((f) => f.stop()));
  }, 60_000);
});
