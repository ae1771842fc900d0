/**
 * The adapter's one way out to the bridge: keeps the connection state in step with what is emitted and
 * delivers events to the sink. Silent before start() and after stop(); a throwing sink is logged and
 * never breaks an event source.
 */
import type { Logger } from 'pino';
import type { PbxEvent, PbxEventSink, PhonePresence } from '../pbx.js';
import type { CallChange } from './call-tracker.js';
import type { ConnectionState } from './connection-state.js';

export class EventHub {
  private sink: PbxEventSink | null = null;
  private closed = false;

  constructor(
    private readonly state: ConnectionState,
    private readonly log: Logger,
  ) {}

  attach(sink: PbxEventSink): void {
    this.sink = sink;
  }

  close(): void {
    this.closed = true;
  }

  online(): void {
    if (this.state.connected()) this.emit({ type: 'connected', at: new Date(), restarted: false });
  }

  offline(reason: string): void {
    if (this.state.disconnected(reason)) this.emit({ type: 'disconnected', at: new Date(), reason });
  }

  report(change: CallChange): void {
    this.emit(toPbxEvent(change, new Date()));
  }

  presence(extension: string, presence: PhonePresence): void {
    this.state.sawEvent();
    this.emit({ type: 'presenceChanged', extension, presence, at: new Date() });
  }

  sawEvent(): void {
    this.state.sawEvent();
  }

  failed(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.state.failed(reason);
    this.log.warn({ code: (err as { code?: unknown }).code, reason }, '3cx call events connection failed');
  }

  private emit(event: PbxEvent): void {
    if (!this.sink || this.closed) return;
    try {
      this.sink(event);
    } catch (err) {
      this.log.error({ err, type: event.type }, '3cx event sink threw');
    }
  }
}

function toPbxEvent(change: CallChange, at: Date): PbxEvent {
  switch (change.type) {
    case 'started':
      return {
        type: 'activityStarted',
        extension: change.extension,
        activityId: change.activityId,
        kind: 'call',
        at,
      };
    case 'ended':
      return { type: 'activityEnded', extension: change.extension, activityId: change.activityId, at };
    case 'offerStarted':
      return { type: 'offerStarted', extension: change.extension, offerId: change.offerId, at };
    case 'offerEnded':
      return {
        type: 'offerEnded',
        extension: change.extension,
        offerId: change.offerId,
        answered: change.answered,
        at,
      };
    case 'offerMissed':
      return { type: 'offerMissed', extension: change.extension, offerId: change.offerId, at };
  }
}
