/**
 * The agent client's connection, kept alive by heartbeats. Each heartbeat moves `lastSeen` and
 * reschedules the `conn:` timer; the timer carries the `lastSeen` it was set for, so one that fires after
 * a newer heartbeat is stale. On loss the user goes Offline unless the current type keeps its status;
 * a later heartbeat restores the connection but not the status (the agent chooses again).
 */
import { applyOrDefer } from './deferral.js';
import { CHANGED, NOOP, emit, schedule, update, type Draft, type Step } from './draft.js';
import type { Command, UserState } from './model.js';
import { OFFLINE } from './status-type.js';
import { addSeconds } from './time.js';

type ConnectionTimeout = Extract<Command, { type: 'connectionTimeout' }>;

/** A heartbeat that only moves lastSeen is still a change: the new lastSeen must be stored. */
export function heartbeat(d: Draft): Step {
  const { now, config } = d.ctx;
  const before = d.state.connection;
  if (before.state === 'online' && before.lastSeen === now) return NOOP;
  const connection: UserState['connection'] = { state: 'online', lastSeen: now };
  update(d, { connection });
  if (before.state !== 'online') emit(d, 'user.connection.changed', { ...connection });
  const dueAt = addSeconds(now, config.connectionTimeoutSeconds);
  schedule(d, 'conn', dueAt, { type: 'connectionTimeout', lastSeen: now });
  return CHANGED;
}

export function connectionTimeout(d: Draft, { lastSeen }: ConnectionTimeout): Step {
  const { connection, status } = d.state;
  if (connection.state !== 'online' || connection.lastSeen !== lastSeen) return NOOP;
  const lost: UserState['connection'] = { state: 'lost', lastSeen };
  update(d, { connection: lost });
  emit(d, 'user.connection.changed', { ...lost });
  // A type missing from the catalog has no keepOnConnectionLoss to honour: go Offline.
  if (!d.ctx.catalog.get(status.id)?.keepOnConnectionLoss) applyOrDefer(d, OFFLINE, 'connection-lost');
  return CHANGED;
}
