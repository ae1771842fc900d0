/**
 * Helpers for multi-day scenarios through HTTP against a real daemon on the private test Redis: requests that
 * must succeed, firing every timer that is due under the fake clock, and waiting for the state a timer leads to.
 */
import { expect } from 'vitest';
import type { TestDaemon } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';

type Role = Parameters<TestDaemon['request']>[0];
type Method = Parameters<TestDaemon['request']>[1];

export async function ok(d: TestDaemon, role: Role, method: Method, url: string, body?: unknown) {
  const res = await d.request(role, method, url, body);
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function user(d: TestDaemon, id: string) {
  const res = await d.request('admin', 'GET', `/v1/users/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * The outbox is dispatched first (what a timer's command leads to is settled), then every timer is made due and run.
 * Timers that are not due yet under the fake clock fire early and are no-ops (decide() re-checks the state).
 */
export async function fireTimers(d: TestDaemon): Promise<void> {
  const timers = d.daemon.parts!.timers;
  await waitFor(async () => (await pendingOutbox(d)) === 0, { what: 'outbox dispatched' });
  await timers.promoteAll();
  await waitFor(
    async () => {
      const counts = await timers.counts();
      return (counts.waiting ?? 0) + (counts.active ?? 0) === 0;
    },
    { what: 'timers run' },
  );
}

/**
 * Entries read by the dispatcher but not yet acknowledged, plus streams with entries not read yet. "Not read" is
 * the group's last delivered id behind the stream's last id (XINFO's `lag` can be unknown after trimming).
 */
async function pendingOutbox(d: TestDaemon): Promise<number> {
  const redis = d.daemon.redis!;
  const keys = d.daemon.parts!.keys;
  const streams = [...keys.allPartitions().map((p) => keys.events(p)), keys.catalogOutbox()];
  let pending = 0;
  for (const stream of streams) {
    const last = String(fields(await redis.call('XINFO', 'STREAM', stream)).get('last-generated-id'));
    for (const group of (await redis.call('XINFO', 'GROUPS', stream)) as unknown[]) {
      const info = fields(group);
      if (info.get('name') !== 'dispatch') continue;
      pending += Number(info.get('pending') ?? 0) + (String(info.get('last-delivered-id')) === last ? 0 : 1);
    }
  }
  return pending;
}

/** An XINFO reply [name, value, name, value, ...] as a map. */
function fields(reply: unknown): Map<string, unknown> {
  const list = reply as unknown[];
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), list[i + 1]);
  return map;
}

export async function waitForUser<T>(
  d: TestDaemon,
  id: string,
  check: (u: Record<string, any>) => T, // eslint-disable-line @typescript-eslint/no-explicit-any -- test JSON
  what: string,
) {
  return waitFor(
    async () => {
      const u = await user(d, id);
      return check(u) ? u : null;
    },
    { what },
  );
}
