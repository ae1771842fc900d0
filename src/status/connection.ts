/**
 * The agent client's connection, kept alive by heartbeats. Only a heartbeat that changes something visible (the
 * connection comes online, or back after a loss) is a change here: it stores `lastSeen` and schedules the `conn:`
 * timer for it. A heartbeat while online changes nothing the domain keeps; the store records its time cheaply
 * (UserStore.touch) and loads show it as `lastSeen`, and the one timer is moved on when it fires early (timers.ts).
 * The timer carries the `lastSeen` it was set for, so one that fires after a newer heartbeat is stale. What the loss does to the status is in connection-loss.ts; a later heartbeat
 * restores the connection (dropping an Offline still held for it) but not the status (the agent chooses again).
 */
import { loseConnection, restoreConnection } from './connection-loss.js';
import { CHANGED, NOOP, emit, schedule, update, type Draft, type Step } from './draft.js';
import type { Command, UserState } from './model.js';
import { addSeconds } from './time.js';

type ConnectionTimeout = Extract<Command, { type: 'connectionTimeout' }>;

/** Online already: nothing visible changes (the store keeps the heartbeat's time without a commit). */
export function heartbeat(d: Draft): Step {
  const { now, config } = d.ctx;
  const before = d.state.connection;
  if (before.state === 'online') return NOOP;
  const connection: UserState['connection'] = { state: 'online', lastSeen: now };
  update(d, { connection });
  emit(d, 'user.connection.changed', { ...connection });
  restoreConnection(d);
  const dueAt = addSeconds(now, config.connectionTimeoutSeconds);
  schedule(d, 'conn', dueAt, { type: 'connectionTimeout', lastSeen: now });
  return CHANGED;
}

/**
 * Stale unless `lastSeen` is still the last heartbeat. A re-armed timer (see connection-loss.ts) makes the loss
 * move again if the connection is still lost and nothing is held.
 */
export function connectionTimeout(d: Draft, { lastSeen, rearmed }: ConnectionTimeout): Step {
  const { connection } = d.state;
  if (connection.lastSeen !== lastSeen) return NOOP;
  if (rearmed) {
    if (connection.state !== 'lost' || d.state.pendingOffline) return NOOP;
    const [state, timers] = [d.state, d.timers.length];
    loseConnection(d);
    return d.state !== state || d.timers.length > timers ? CHANGED : NOOP;
  }
  if (connection.state !== 'online') return NOOP;
  const lost: UserState['connection'] = { state: 'lost', lastSeen };
  update(d, { connection: lost });
  emit(d, 'user.connection.changed', { ...lost });
  loseConnection(d);
  return CHANGED;
}
