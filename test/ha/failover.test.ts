/**
 * Several daemons as child processes on one private Redis and one fake AMI server (issue "Scale out"):
 * - kill -9 the holder of the PBX connection during call-heavy load: another daemon takes over, and every call
 *   that ended (also while nobody held the connection) ends its activity and applies the upcoming status once;
 * - a holder paused past its lease (SIGSTOP) and resumed (SIGCONT) commits nothing after the takeover.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, killAll, tempDir, writeConfig } from '../daemon/cli-process.js';
import { channelFields, FakeAmiServer, type FakeChannel } from '../fakes/fake-ami-server.js';
import { uniquePrefix } from '../harness/prefix.js';
import { TestRedis } from '../harness/redis-server.js';
import { freepbxConnection, seedExtensions } from '../harness/pbx.js';
import { waitFor } from '../harness/wait.js';

const ADMIN = 'ha-admin-key-0123456789abcdef';
const LEASE_TTL_MS = 1500;
const AGENTS = 12;

let redis: TestRedis;
beforeAll(async () => {
  redis = await new TestRedis().start();
});
afterAll(async () => redis.destroy());
afterEach(async () => killAll());

interface Node {
  name: string;
  cli: CliProcess;
  url: string;
}

const dir = tempDir('pb-ha-');

async function startNodes(fake: FakeAmiServer, names: string[], prefix: string): Promise<Node[]> {
  const nodes = names.map((name) => {
    const config = {
      server: { host: '127.0.0.1', port: 0 },
      redis: { url: redis.url, keyPrefix: prefix, embedded: 'never', partitions: 4 },
      auth: { keys: [{ name: 'admin', role: 'admin', key: ADMIN }] },
      ha: { leaseTtlMs: LEASE_TTL_MS, nodeName: name },
      sync: { backoffMs: 50, attempts: 100 },
      log: { level: 'info' },
      pbx: [freepbxConnection(fake, { pingIntervalMs: 200, backoff: { initialMs: 50, maxMs: 300 } })],
    };
    return {
      name,
      cli: new CliProcess(['--config', writeConfig(dir, JSON.stringify(config), `${name}.yaml`)]),
    };
  });
  return Promise.all(nodes.map(async (n) => ({ ...n, url: await n.cli.baseUrl() })));
}

async function api(node: Node, method: string, path: string, body?: unknown) {
  const res = await fetch(node.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API
}

async function holder(nodes: Node[], alive: (n: Node) => boolean = () => true): Promise<Node> {
  return waitFor(
    async () => {
      const asker = nodes.find(alive) as Node;
      const conn = (await api(asker, 'GET', '/v1/pbx')).body.connections[0];
      return conn.connected && conn.heldBy
        ? nodes.find((n) => n.name === conn.heldBy && alive(n))
        : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 25, what: 'a connected holder' },
  );
}

const ext = (i: number) => String(1001 + i);
const leg = (i: number, round: number): FakeChannel => ({
  channel: `PJSIP/${ext(i)}-0000${round}${i}`,
  uniqueid: `17000${round}.${i}`,
  linkedid: `17000${round}.${i}`,
  state: '6',
});

function fakeWithAgents(): FakeAmiServer {
  const fake = new FakeAmiServer();
  seedExtensions(
    fake,
    Array.from({ length: AGENTS }, (_, i) => ext(i)),
  );
  return fake;
}

describe('PBX connection failover', () => {
  it('survives kill -9 of the holder during call-heavy load: no call end lost, none applied twice', async () => {
    const fake = await fakeWithAgents().start();
    const prefix = uniquePrefix('ha');
    const nodes = await startNodes(fake, ['n1', 'n2', 'n3'], prefix);
    const dead = new Set<string>();
    const alive = (n: Node) => !dead.has(n.name);
    const any = () => nodes.find(alive) as Node;
    for (let i = 0; i < AGENTS; i++) {
      const put = await api(any(), 'PUT', `/v1/users/a${i}`, {
        displayName: `A${i}`,
        pbx: { connection: 'main', extension: ext(i) },
        queues: ['400'],
      });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
      await api(any(), 'POST', `/v1/users/a${i}/shift`, {});
    }
    await holder(nodes);

    const takeovers: number[] = [];
    const rounds = 2;
    for (let round = 1; round <= rounds; round++) {
      const current = await holder(nodes, alive);
      for (let i = 0; i < AGENTS; i++) fake.startChannel(leg(i, round));
      await waitFor(
        async () =>
          (await api(any(), 'GET', '/v1/users?limit=100')).body.items.filter(
            (u: { activities: unknown[] }) => u.activities.length === 1,
          ).length === AGENTS,
        {
          timeoutMs: 10_000,
          what: `round ${round}: every agent on a call`,
        },
      );
      const target = round % 2 === 1 ? 'on-break' : 'active';
      for (let i = 0; i < AGENTS; i++) {
        const res = await api(any(), 'PUT', `/v1/users/a${i}/status`, { statusId: target });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
      }

      // Half the calls end while the holder is alive, then it is killed, and the rest end while nobody holds the link.
      for (let i = 0; i < AGENTS / 2; i++) fake.hangupChannel(leg(i, round).uniqueid);
      const killedAt = Date.now();
      current.cli.signal('SIGKILL');
      dead.add(current.name);
      for (let i = AGENTS / 2; i < AGENTS; i++) fake.channels.delete(leg(i, round).uniqueid);

      const next = await holder(nodes, (n) => alive(n) && n.name !== current.name);
      takeovers.push((Date.now() - killedAt) / 1000);
      expect(next.name).not.toBe(current.name);
      await waitFor(
        async () => {
          const items = (await api(next, 'GET', '/v1/users?limit=100')).body.items as Array<{
            status: { id: string };
            activities: unknown[];
          }>;
          return (
            items.length === AGENTS && items.every((u) => u.status.id === target && u.activities.length === 0)
          );
        },
        { timeoutMs: 15_000, what: `round ${round}: every upcoming status applied after the takeover` },
      );
      if (round < rounds) {
        const replacement = nodes.findIndex((n) => n.name === current.name);
        nodes[replacement] = (await startNodes(fake, [`${current.name}-r${round}`], prefix))[0] as Node;
      }
    }

    // Exactly one deferred span per agent per round: nothing lost, nothing applied twice.
    let duplicated = 0;
    for (let i = 0; i < AGENTS; i++) {
      const history = (await api(any(), 'GET', `/v1/users/a${i}/history?limit=100`)).body.items as Array<{
        cause: string;
      }>;
      duplicated += history.filter((s) => s.cause === 'deferred').length - rounds;
    }
    console.log(
      `ha: ${nodes.length} daemons, ${takeovers.length} failovers, max takeover ${Math.max(...takeovers).toFixed(1)} s, 0 lost, ${duplicated} duplicated`,
    );
    expect(duplicated).toBe(0);
    await fake.stop();
  }, 120_000);

  it('a holder paused past its lease commits nothing after another daemon took over', async () => {
    const fake = await fakeWithAgents().start();
    const nodes = await startNodes(fake, ['p1', 'p2'], uniquePrefix('ha'));
    await api(nodes[0] as Node, 'PUT', '/v1/users/a0', {
      displayName: 'A0',
      pbx: { connection: 'main', extension: ext(0) },
    });
    const old = await holder(nodes);
    const other = nodes.find((n) => n !== old) as Node;
    const [oldSession] = fake.authedSessionIds();
    expect(fake.authedSessionIds()).toHaveLength(1); // only the holder talks to the PBX

    old.cli.signal('SIGSTOP');
    try {
      await holder(nodes, (n) => n === other);
      // A call only the paused holder hears: it must never reach the user's state.
      fake.emitEventTo(
        oldSession as number,
        'Newchannel',
        channelFields({ channel: 'PJSIP/1001-000000ff', uniqueid: '99.1', linkedid: '99.1' }),
      );
    } finally {
      old.cli.signal('SIGCONT');
    }
    await old.cli.waitForLog('let go of the PBX connection', 10_000);
    await (await holder(nodes, (n) => n === other)).cli.waitForLog('took the PBX connection lease');
    const user = (await api(other, 'GET', '/v1/users/a0')).body;
    expect(user.activities.map((a: { id: string }) => a.id)).not.toContain('99.1');
    expect(user.version).toBe(1);
    await fake.stop();
  }, 60_000);
});
