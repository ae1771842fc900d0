/**
 * Fencing, deterministically: once a newer holder has taken a PBX connection's lease, a command carrying the
 * old holder's token is refused by the commit script and changes nothing; the new holder's commands pass.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ConnectionLease } from '../../src/bridge/ha/lease.js';
import { FencedError } from '../../src/bridge/users/user-service.js';
import { startTestDaemon, type TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

describe('PBX connection lease and fencing', () => {
  let d: TestDaemon;
  beforeEach(async () => {
    d = await startTestDaemon({ redisUrl: inject('redisUrl') });
    await d.request('admin', 'PUT', '/v1/users/u1', { displayName: 'Dana' });
  });
  afterEach(async () => d.stop());

  const lease = (owner: string, ttlMs: number) =>
    new ConnectionLease(d.daemon.redis!, d.daemon.parts!.keys, 'main', owner, ttlMs);

  it('gives the lease to one holder at a time, with a growing fencing token', async () => {
    const a = lease('a', 200);
    const b = lease('b', 10_000);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    await waitFor(async () => (await a.holder()) === null, { what: 'lease of a expired' });
    expect(await a.renew()).toBe(false);
    expect(await b.acquire()).toBe(true);
    expect(b.fence!.token).toBeGreaterThan(1);
    expect(await b.holder()).toBe('b');
    await b.release();
    expect(await b.holder()).toBeNull();
  });

  it('refuses commits carrying the token of a holder that lost the lease', async () => {
    const a = lease('a', 200);
    expect(await a.acquire()).toBe(true);
    const oldFence = a.fence!;
    const users = d.daemon.parts!.users;
    await users.execute(
      'u1',
      { type: 'beginActivity', activity: { id: 'c1', kind: 'call', source: 'freepbx:main' } },
      { fence: oldFence },
    );

    await waitFor(async () => (await a.holder()) === null, { what: 'lease of a expired' });
    const b = lease('b', 10_000);
    expect(await b.acquire()).toBe(true);

    const before = await users.get('u1');
    await expect(
      users.execute('u1', { type: 'endActivity', activityId: 'c1' }, { fence: oldFence }),
    ).rejects.toBeInstanceOf(FencedError);
    expect(await users.get('u1')).toEqual(before);

    const after = await users.execute('u1', { type: 'endActivity', activityId: 'c1' }, { fence: b.fence! });
    expect(after.state.activities).toEqual([]);
  });
});
