/**
 * A private three-master Redis Cluster for the cluster suite (npm run test:cluster): redis-server processes with
 * `--cluster-enabled yes` on free loopback ports in temp dirs, joined by `redis-cli --cluster create`, ready once
 * every node reports `cluster_state:ok`. Nothing persists; destroy() kills the nodes and removes the dirs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TestRedis, freePort } from './redis-server.js';

const run = promisify(execFile);

export class TestRedisCluster {
  readonly nodes: TestRedis[] = [];

  constructor(private readonly masters = 3) {}

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  async start(): Promise<this> {
    for (let i = 0; i < this.masters; i++) {
      const port = await freePort();
      const node = new TestRedis({
        port,
        extraArgs: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '5000',
        ],
      });
      this.nodes.push(node);
    }
    await Promise.all(this.nodes.map((n) => n.start()));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await this.waitUntilOk();
    return this;
  }

  private async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        this.nodes.map(async (n) => {
          const { stdout } = await run('redis-cli', ['-p', String(n.port), 'CLUSTER', 'INFO']);
          return stdout.includes('cluster_state:ok');
        }),
      );
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('redis cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}
