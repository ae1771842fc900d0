/**
 * One WebSocket connection of the call event source: open (Bearer), resync the tracker from
 * GET /callcontrol while buffering live events (events during the gap are lost, reference §8), replay
 * the buffer, report `connected`, then apply events until the socket closes.
 *
 * The resync replaces the tracker's state silently: calls that ended or began while the socket was
 * down are reconciled by the bridge, which calls snapshot() on `connected`.
 */
import WebSocket from 'ws';
import { PbxError } from '../pbx.js';
import { listConnections } from './callcontrol-api.js';
import { openCallControlSocket, watchSocket } from './call-socket.js';
import type { CallSourceDeps } from './call-events.js';
import { ParticipantEvents } from './participant-events.js';
import type { Session } from './reconnect-loop.js';

export function socketSession(deps: CallSourceDeps): Session {
  return async ({ signal, established }) => {
    const ws = await openCallControlSocket(deps.tokens, deps.socket, signal);
    const events = new ParticipantEvents(deps);
    ws.on('message', (data: WebSocket.RawData) => (deps.sawEvent(), events.receive(data.toString())));
    ws.on('error', (err: Error & { code?: string }) =>
      deps.log.warn({ code: err.code }, '3cx call control socket error'),
    );
    const closed = watchSocket(ws, deps.pingIntervalMs, signal);
    try {
      deps.tracker.sync(await listConnections(deps.client));
      if (ws.readyState !== WebSocket.OPEN)
        throw new PbxError('PBX_UNAVAILABLE', '3CX call control websocket closed during resync');
      events.live();
      established();
      deps.online();
      deps.offline(await closed);
    } finally {
      ws.terminate();
    }
  };
}
