/**
 * Delete race (issue 13): two daemons (child processes) on one Redis. Round after round, an admin creates a status
 * type through daemon A, USERS users select it through daemon B at random moments of the same 60 ms, and the
 * admin deletes it through daemon A meanwhile (retrying while it is in use, 409 STATUS_TYPE_IN_USE, after moving
 * the users who got in back to Active).
 * - after every successful delete, no user is in the deleted type or has it upcoming, on either daemon;
 * - every answer is 200, 404 STATUS_TYPE_NOT_FOUND (the type was gone), 409 STATUS_TYPE_IN_USE (the delete lost);
 *   no 5xx, none unanswered.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { killAll } from '../daemon/cli-process.js';
import { KEYS } from '../harness/daemon.js';
import { uniquePrefix } from '../harness/prefix.js';
import { freePort } from '../harness/redis-server.js';
import { ChildDaemon, allUsers, call, figure, must, size, type Json } from './support.js';

const ROUNDS = size(30, 60);
const USERS = 24;
const TYPE = { id: 'race', name: 'Race', color: '#AA5500' };

let a: ChildDaemon;
let b: ChildDaemon;
beforeAll(async () => {
  const prefix = uniquePrefix('delete-race');
  a = new ChildDaemon({ redisUrl: inject('redisUrl'), prefix, port: await freePort() });
  b = new ChildDaemon({ redisUrl: inject('redisUrl'), prefix, port: await freePort() });
  await a.start(30_000);
  await b.start(30_000);
});
afterAll(async () => killAll());

const ids = Array.from({ length: USERS }, (_, i) => `race-${i}`);
const inType = (users: Json[]) =>
  users.filter((u) => u.status.id === TYPE.id || u.upcoming?.id === TYPE.id).map((u) => u.id as string);

describe('status type delete race', () => {
  it('never leaves a user in a deleted type, across two daemons', async () => {
    for (const id of ids) await must(a.base, 'PUT', `/v1/users/${id}`, { displayName: id });
    const answers = new Map<string, number>();
    const count = (what: string) => answers.set(what, (answers.get(what) ?? 0) + 1);
    let deletes = 0;
    let refusedDeletes = 0;
    let badDeletes = 0;
    const stranded: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await must(a.base, 'POST', '/v1/status-types', TYPE);
      // Every user selects the type once, at a random moment of the same 60 ms, while the admin deletes it (and
      // retries while it is in use). Selections that come just after the delete race a type that is gone, on a
      // daemon (B) that learns of the delete a moment later, while it is busy with the others.
      const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 60));
      const select = async (id: string) => {
        await pause();
        const reply = await call(b.base, KEYS.supervisor, 'PUT', `/v1/users/${id}/status`, {
          statusId: TYPE.id,
        });
        count(`${reply.status} ${reply.body?.error?.code ?? ''}`.trim());
      };
      const remove = async () => {
        await pause();
        for (;;) {
          const reply = await call(a.base, KEYS.admin, 'DELETE', `/v1/status-types/${TYPE.id}`);
          if (reply.status === 204) break;
          expect(reply.status).toBe(409);
          expect(reply.body.error.code).toBe('STATUS_TYPE_IN_USE');
          refusedDeletes += 1;
          // In use: the users who got in leave it again (as they would), and the admin tries again.
          for (const u of inType(await allUsers(a.base))) {
            await call(a.base, KEYS.supervisor, 'PUT', `/v1/users/${u}/status`, { statusId: 'active' });
          }
        }
        deletes += 1;
      };
      await Promise.all([remove(), ...ids.map(select)]);
      const left = new Set<string>();
      for (const base of [a.base, b.base]) for (const id of inType(await allUsers(base))) left.add(id);
      if (left.size > 0) badDeletes += 1;
      stranded.push(...left);
      for (const id of ids) {
        const reply = await call(a.base, KEYS.supervisor, 'PUT', `/v1/users/${id}/status`, {
          statusId: 'active',
        });
        expect(reply.status).toBe(200);
      }
    }
    const summary = [...answers].map(([what, n]) => `${n} × ${what}`).join(', ');
    figure(
      `delete race: ${ROUNDS} rounds, ${USERS} users selecting through daemon B while daemon A deletes: ` +
        `${deletes} deletes (${refusedDeletes} refused while in use first); ${badDeletes} of them left ` +
        `${stranded.length} users in the deleted type; ` +
        `selections: ${summary}`,
    );
    expect(stranded).toEqual([]);
    for (const what of answers.keys()) {
      expect(['200', '404 STATUS_TYPE_NOT_FOUND']).toContain(what);
    }
    expect(a.errors()).toEqual([]);
    expect(b.errors()).toEqual([]);
  });
});
