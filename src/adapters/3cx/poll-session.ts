/**
 * The polling call event source (`callEvents: 'polling'`): GET /callcontrol every interval and report
 * the differences (qmexnetworks/3cx-zammad-bridge works this way, reference §8). The first listing after
 * (re)connecting is a silent baseline followed by `connected`; a failed poll ends the session, so the
 * source reports `disconnected` and the reconnect loop backs off.
 */
import { listConnections } from './callcontrol-api.js';
import type { CallSourceDeps } from './call-events.js';
import { sleep, type Session } from './reconnect-loop.js';

export function pollSession(deps: CallSourceDeps): Session {
  return async ({ signal, established }) => {
    deps.tracker.sync(await listConnections(deps.client));
    established();
    deps.online();
    let reason = 'stopped';
    try {
      while (!signal.aborted) {
        await sleep(deps.pollIntervalMs, signal);
        if (!signal.aborted) pollOnce(deps, await listConnections(deps.client));
      }
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      deps.offline(reason);
    }
  };
}

function pollOnce(deps: CallSourceDeps, listing: Awaited<ReturnType<typeof listConnections>>): void {
  const changes = deps.tracker.sync(listing);
  if (changes.length > 0) deps.sawEvent();
  for (const change of changes) deps.report(change);
}
