/**
 * The outbox on a Redis Cluster: the dispatcher reads every partition stream (one slot each) and timers fire
 * through BullMQ on the Cluster connection. The deferred-status scenario of test/engine/scenario.test.ts, on a
 * cluster: On Break picked during a call is applied by the wrap-up timer without any user action.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { startClusterDaemon } from './helpers.js';

class ManualClock {
  constructor(private ms = Date.parse('2026-03-02T08:00:00.000Z')) {}
  now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

describe('outbox and timers on Redis Cluster', () => {
  let d: TestDaemon;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    d = await startClusterDaemon({ clock: clock.now, config: { status: { wrapUpSeconds: 30 } } });
  });
  afterEach(async () => d?.stop());

  const timers = () => d.daemon.parts!.timers;

  it('dispatches outbox entries of every partition and fires the wrap-up timer through BullMQ', async () => {
    // Users spread over all partitions: each one's wrap-up timer is scheduled from its own partition's stream.
    const keys = d.daemon.parts!.keys;
    const ids: string[] = [];
    const partitions = new Set<number>();
    for (let n = 0; partitions.size < keys.partitions; n++) {
      const id = `w-${n}`;
      if (partitions.has(keys.partitionOf(id))) continue;
      partitions.add(keys.partitionOf(id));
      ids.push(id);
    }
    for (const id of ids) {
      expect((await d.request('admin', 'PUT', `/v1/users/${id}`, { displayName: id })).status).toBe(201);
      await d.request('admin', 'POST', `/v1/users/${id}/shift`, {});
      await d.request('integration', 'POST', `/v1/users/${id}/activities`, {
        id: `call-${id}`,
        kind: 'call',
      });
      expect(
        (await d.request('supervisor', 'PUT', `/v1/users/${id}/status`, { statusId: 'on-break' })).status,
      ).toBe(202);
    }
    clock.advance(60);
    for (const id of ids) await d.request('integration', 'DELETE', `/v1/users/${id}/activities/call-${id}`);
    clock.advance(30);
    await waitFor(async () => ((await timers().counts()).delayed ?? 0) >= ids.length, {
      what: 'a wrap-up timer per user scheduled',
    });
    await timers().promoteAll();
    for (const id of ids) {
      const after = await waitFor(
        async () => {
          const u = (await d.request('supervisor', 'GET', `/v1/users/${id}`)).body;
          return u.status.id === 'on-break' ? u : null;
        },
        { what: `deferred On Break applied to ${id}` },
      );
      expect(after).toMatchObject({ status: { cause: 'deferred' }, upcoming: null });
    }
  });
});
