/**
 * Call Control WebSocket messages → tracker changes, for one connection.
 * - Message: `{sequence, event:{event_type, entity, attached_data?}}`. 0 = Upsert, 1 = Remove; 2 (DTMF),
 *   4 (Response) and anything else (the docs mention a 5 outside the enum) are ignored.
 * - A sequence not above the last one seen for the same entity is stale and ignored (reference §8).
 *   Sequences are kept per connection: nothing says they survive a reconnect [I].
 * - The event names only the entity: an Upsert is followed by a GET of it; a Remove cannot be fetched.
 * - Order is kept per DN (one promise chain each), so a transfer's new leg is never applied after the
 *   old leg's removal, while different DNs proceed in parallel.
 * - Until live(), messages are buffered: they arrive while the resync from GET /callcontrol runs.
 */
import type { Logger } from 'pino';
import {
  getParticipant,
  parseParticipantEntity,
  type CcParticipant,
  type ParticipantRef,
} from './callcontrol-api.js';
import type { CallChange, CallTracker } from './call-tracker.js';
import type { XapiClient } from './xapi-client.js';

const UPSERT = 0;
const REMOVE = 1;

interface CcMessage {
  sequence: number;
  eventType: number;
  entity: string;
}

export interface ParticipantEventsDeps {
  client: XapiClient;
  tracker: CallTracker;
  report: (change: CallChange) => void;
  log: Logger;
}

export class ParticipantEvents {
  private readonly lastSequence = new Map<string, number>();
  private readonly chains = new Map<string, Promise<void>>();
  private buffer: CcMessage[] | null = [];

  constructor(private readonly deps: ParticipantEventsDeps) {}

  receive(raw: string): void {
    const message = parseMessage(raw);
    if (!message) return this.deps.log.debug('3cx call control message not understood; ignored');
    if (this.buffer) this.buffer.push(message);
    else this.dispatch(message);
  }

  /** Ends buffering: replays what arrived during the resync, then handles messages as they come. */
  live(): void {
    const pending = this.buffer ?? [];
    this.buffer = null;
    for (const message of pending) this.dispatch(message);
  }

  /** Settles once every message received so far is applied. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  private dispatch(message: CcMessage): void {
    const ref = parseParticipantEntity(message.entity);
    if (!ref || (message.eventType !== UPSERT && message.eventType !== REMOVE)) return;
    if (this.isStale(message))
      return this.deps.log.debug({ entity: message.entity }, '3cx stale call event ignored');
    this.chain(ref.dn, () => this.apply(message.eventType, ref));
  }

  private isStale(message: CcMessage): boolean {
    const last = this.lastSequence.get(message.entity);
    if (last !== undefined && message.sequence <= last) return true;
    this.lastSequence.set(message.entity, message.sequence);
    return false;
  }

  private chain(dn: string, step: () => Promise<void>): void {
    const next = (this.chains.get(dn) ?? Promise.resolve()).then(step).catch((err: unknown) => {
      this.deps.log.warn({ dn, code: (err as { code?: unknown }).code }, '3cx call event not applied');
    });
    this.chains.set(dn, next);
    void next.then(() => this.chains.get(dn) === next && this.chains.delete(dn));
  }

  private async apply(eventType: number, ref: ParticipantRef): Promise<void> {
    const { tracker } = this.deps;
    if (eventType === REMOVE) return this.emit(tracker.remove(ref.dn, ref.id));
    const participant = await this.fetch(ref);
    this.emit(participant ? tracker.upsert(ref.dn, participant) : tracker.remove(ref.dn, ref.id));
  }

  /** A failed GET still means the participant exists (Upsert); its status and call id are then unknown. */
  private async fetch(ref: ParticipantRef): Promise<CcParticipant | null> {
    try {
      const found = await getParticipant(this.deps.client, ref);
      return found ? { ...found, id: ref.id } : null;
    } catch (err) {
      this.deps.log.warn(
        { dn: ref.dn, code: (err as { code?: unknown }).code },
        '3cx participant not readable',
      );
      return { id: ref.id };
    }
  }

  private emit(changes: CallChange[]): void {
    for (const change of changes) this.deps.report(change);
  }
}

function parseMessage(raw: string): CcMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  const msg = parsed as { sequence?: unknown; event?: { event_type?: unknown; entity?: unknown } } | null;
  const sequence = Number(msg?.sequence);
  const eventType = msg?.event?.event_type;
  const entity = msg?.event?.entity;
  if (!Number.isFinite(sequence) || typeof eventType !== 'number' || typeof entity !== 'string') return null;
  return { sequence, eventType, entity };
}
