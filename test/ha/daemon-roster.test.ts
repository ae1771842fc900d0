/**
 * The roster of daemons on one Redis, in process: a live second daemon with the same node name is reported (log
 * and view), while the entry a crashed daemon left behind is not, even under the same name, and goes away.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DaemonRoster } from '../../src/bridge/ha/daemon-roster.js';
import { createIdentity } from '../../src/bridge/ha/identity.js';
import { createLogger } from '../../src/bridge/logger.js';
import { Keys } from '../../src/bridge/redis/keys.js';
import { uniquePrefix } from '../harness/prefix.js';
import { waitFor } from '../harness/wait.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

function roster(keys: Keys, nodeName: string, lines: Array<Record<string, unknown>>) {
  const log = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
  return new DaemonRoster(redis, keys, createIdentity(nodeName), log, { intervalMs: 50, staleMs: 400 });
}

describe('daemon roster', () => {
  it('reports a live duplicate node name, and not the entry a crashed daemon left', async () => {
    const keys = new Keys(uniquePrefix('roster'), 1);
    // A daemon named "n1" that died without removing its entry: fresh for staleMs, but it never beats again.
    await redis.hset(
      keys.daemons(),
      'dead0000',
      JSON.stringify({
        nodeName: 'n1',
        instanceId: 'dead0000',
        startedAt: new Date().toISOString(),
        lastSeenAt: new Date().toISOString(),
        version: null,
      }),
    );
    const linesA: Array<Record<string, unknown>> = [];
    const a = roster(keys, 'n1', linesA);
    await a.start();
    await waitFor(async () => !(await redis.hexists(keys.daemons(), 'dead0000')), {
      what: 'stale entry removed',
    });
    expect(a.view.duplicateNodeNames).toEqual([]);
    expect(linesA.filter((l) => String(l.msg).startsWith('duplicate node name'))).toEqual([]);

    const linesB: Array<Record<string, unknown>> = [];
    const b = roster(keys, 'n1', linesB);
    await b.start();
    await waitFor(() => a.view.duplicateNodeNames.length === 1 && b.view.duplicateNodeNames.length === 1, {
      what: 'both see the duplicate',
    });
    expect(a.view.duplicateNodeNames).toEqual(['n1']);
    for (const lines of [linesA, linesB]) {
      const line = lines.find((l) => String(l.msg).startsWith('duplicate node name'));
      expect(line).toMatchObject({ level: 50, node: 'n1' });
    }
    expect((await a.read()).daemons.map((d) => d.self).sort()).toEqual([false, true]);

    await b.stop();
    await waitFor(() => a.view.duplicateNodeNames.length === 0, { what: 'duplicate gone' });
    expect(linesA.at(-1)).toMatchObject({ msg: 'node name is unique again', node: 'n1' });
    await a.stop();
    expect(await redis.hlen(keys.daemons())).toBe(0);
  });
});
