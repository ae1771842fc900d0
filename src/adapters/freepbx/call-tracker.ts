/**
 * Ringing and open calls per extension, from channel events, as offer* and activity* events.
 *
 * Design (reference §3 "Suggested algorithm"): a map of the agent's real device channels by Uniqueid, grouped
 * per call = (extension, Linkedid). A call is an *offer* while all its channels only ring (Asterisk calling the
 * phone) and an *activity* once one of them is answered or is the phone's own outgoing call; the offer then ends
 * `answered` and the activity starts. When its last channel is gone the activity ends, or the offer ends
 * unanswered. Two legs of one call (a second device, a transfer) end only at the last. The offer id is the
 * Uniqueid of the call's first ringing channel, so a queue that rings the same agent again for the same caller
 * (same Linkedid, a new channel) makes a new offer; the activity id is the Linkedid.
 *
 * Missed: a dialled leg that rang out (DialEnd NOANSWER) or the queue's AgentRingNoAnswer report the offer as
 * missed. Either may come before or after the leg's Hangup, and a queue call that rings out may send both, so
 * recently ended offers are remembered (bounded) by channel and by call, and every miss names the offer id.
 *
 * At-least-once input: re-opening a known channel or closing an unknown one is a no-op, and a bounded tombstone
 * set of hung-up Uniqueids stops a late or out-of-order event from resurrecting a channel. A channel first seen
 * dialling a feature code is tombstoned at once: none of its later events count.
 *
 * Snapshot: between beginSnapshot() and finishSnapshot() live changes are buffered; the snapshot replaces the
 * map silently (the bridge diffs it), then the buffered changes are replayed on top, so a Hangup that raced the
 * CoreShowChannels listing still wins.
 */
import type { PbxEvent, SnapshotCall, SnapshotOffer } from '../pbx.js';

/** 'excluded': a channel to a feature code, never a call. */
export type ChannelPhase = 'offer' | 'active' | 'excluded';

/** One device channel of an extension. */
export interface ChannelFact {
  uniqueid: string;
  extension: string;
  linkedid: string;
  since: Date;
  phase: ChannelPhase;
}

interface Call {
  extension: string;
  linkedid: string;
  /** uniqueids of its open channels */
  channels: Set<string>;
  active: boolean;
  /** The open offer's id while nobody answered. */
  offerId: string | null;
}

type Change =
  | { kind: 'open'; fact: ChannelFact }
  | { kind: 'close'; uniqueid: string; at: Date }
  | { kind: 'noAnswer'; uniqueid: string; at: Date }
  | { kind: 'queueNoAnswer'; extension: string; linkedid: string; attemptId: string; at: Date };

const TOMBSTONE_LIMIT = 10_000;
const ENDED_OFFER_LIMIT = 2_000;

export class CallTracker {
  private readonly channels = new Map<string, ChannelFact>();
  private readonly openCalls = new Map<string, Call>();
  private readonly tombstones = new Set<string>();
  /** Ended offers by channel uniqueid and by call key, for misses reported after the Hangup. */
  private readonly endedOffers = new Map<string, { extension: string; offerId: string }>();
  private buffer: Change[] | null = null;

  constructor(private readonly emit: (event: PbxEvent) => void) {}

  /** A channel exists or changed (Newchannel, Newstate, DialBegin/End, BridgeEnter). */
  opened(fact: ChannelFact): void {
    this.record({ kind: 'open', fact }, () => this.applyOpen(fact, true));
  }

  /** A channel is gone (Hangup). */
  closed(uniqueid: string, at: Date): void {
    this.record({ kind: 'close', uniqueid, at }, () => this.applyClose(uniqueid, at));
  }

  /** A dialled device leg rang out (DialEnd NOANSWER). */
  noAnswer(uniqueid: string, at: Date): void {
    this.record({ kind: 'noAnswer', uniqueid, at }, () => this.applyNoAnswer(uniqueid, at));
  }

  /** A queue stopped ringing the member without an answer (AgentRingNoAnswer). */
  queueNoAnswer(extension: string, linkedid: string, attemptId: string, at: Date): void {
    const change = { kind: 'queueNoAnswer', extension, linkedid, attemptId, at } as const;
    this.record(change, () => this.applyQueueNoAnswer(change));
  }

  /** From now on live changes wait until the snapshot is in. */
  beginSnapshot(): void {
    this.buffer ??= [];
  }

  /** Replaces the state with `facts` (null: snapshot failed, keep the state), then replays live changes. */
  finishSnapshot(facts: ChannelFact[] | null): void {
    const pending = this.buffer ?? [];
    this.buffer = null;
    if (facts) this.replaceWith(facts);
    for (const change of pending) this.replay(change);
  }

  /** Answered or dialled-out calls, one per (extension, linkedid), with the oldest channel's start. */
  calls(): SnapshotCall[] {
    const out: SnapshotCall[] = [];
    for (const call of this.openCalls.values()) {
      if (!call.active) continue;
      const since = [...call.channels]
        .map((id) => this.channels.get(id)?.since)
        .filter((d) => d !== undefined)
        .reduce<Date | undefined>((a, b) => (a && a <= b ? a : b), undefined);
      out.push({
        extension: call.extension,
        activityId: call.linkedid,
        kind: 'call',
        ...(since ? { since } : {}),
      });
    }
    return out;
  }

  /** Calls ringing an extension, unanswered. */
  offers(): SnapshotOffer[] {
    return [...this.openCalls.values()].flatMap((c) =>
      c.offerId ? [{ extension: c.extension, offerId: c.offerId }] : [],
    );
  }

  private record(change: Change, apply: () => void): void {
    if (this.buffer) this.buffer.push(change);
    else apply();
  }

  private replay(change: Change): void {
    if (change.kind === 'open') this.applyOpen(change.fact, true);
    else if (change.kind === 'close') this.applyClose(change.uniqueid, change.at);
    else if (change.kind === 'noAnswer') this.applyNoAnswer(change.uniqueid, change.at);
    else this.applyQueueNoAnswer(change);
  }

  private replaceWith(facts: ChannelFact[]): void {
    this.channels.clear();
    this.openCalls.clear();
    for (const fact of facts) this.applyOpen(fact, false);
  }

  private applyOpen(fact: ChannelFact, announce: boolean): void {
    const { uniqueid } = fact;
    if (this.tombstones.has(uniqueid)) return;
    const known = this.channels.get(uniqueid);
    if (known) {
      // Phases only move forward: a ringing leg can be answered, an answered one never rings again.
      if (fact.phase === 'active' && known.phase === 'offer') {
        known.phase = 'active';
        this.answer(this.callOf(known), fact.since, announce);
      }
      return;
    }
    if (fact.phase === 'excluded') return this.bury(uniqueid);
    this.channels.set(uniqueid, { ...fact });
    const key = callKey(fact.extension, fact.linkedid);
    const call = this.openCalls.get(key) ?? newCall(fact);
    call.channels.add(uniqueid);
    this.openCalls.set(key, call);
    if (fact.phase === 'active') this.answer(call, fact.since, announce);
    else if (!call.active && !call.offerId) {
      call.offerId = uniqueid;
      if (announce)
        this.emit({ type: 'offerStarted', extension: call.extension, offerId: uniqueid, at: fact.since });
    }
  }

  /** The call is now an activity: its offer (if any) ended answered. */
  private answer(call: Call, at: Date, announce: boolean): void {
    if (call.active) return;
    call.active = true;
    const { extension, linkedid: activityId, offerId } = call;
    call.offerId = null;
    if (!announce) return;
    if (offerId) this.emit({ type: 'offerEnded', extension, offerId, answered: true, at });
    this.emit({ type: 'activityStarted', extension, activityId, kind: 'call', at });
  }

  private applyClose(uniqueid: string, at: Date): void {
    this.bury(uniqueid);
    const fact = this.channels.get(uniqueid);
    if (!fact) return;
    this.channels.delete(uniqueid);
    const call = this.callOf(fact);
    call.channels.delete(uniqueid);
    if (call.offerId) this.rememberOffer(uniqueid, call);
    if (call.channels.size > 0) return;
    this.openCalls.delete(callKey(call.extension, call.linkedid));
    const { extension } = call;
    if (call.active) this.emit({ type: 'activityEnded', extension, activityId: call.linkedid, at });
    else if (call.offerId) {
      this.rememberOffer(callKey(extension, call.linkedid), call);
      this.emit({ type: 'offerEnded', extension, offerId: call.offerId, answered: false, at });
    }
  }

  private applyNoAnswer(uniqueid: string, at: Date): void {
    const fact = this.channels.get(uniqueid);
    const call = fact ? this.callOf(fact) : null;
    if (call?.active) return;
    const offer = call?.offerId
      ? { extension: call.extension, offerId: call.offerId }
      : this.endedOffers.get(uniqueid);
    if (offer) this.emit({ type: 'offerMissed', ...offer, at });
  }

  /**
   * The member's Local/ leg is not the phone's: the offer is found by (extension, linkedid). A member whose phone
   * never rang (DND, unregistered) still missed the queue's offer; this attempt then names it.
   */
  private applyQueueNoAnswer(change: Extract<Change, { kind: 'queueNoAnswer' }>): void {
    const { extension, linkedid, attemptId, at } = change;
    const key = callKey(extension, linkedid);
    const call = this.openCalls.get(key);
    if (call?.active) return;
    const offerId = call?.offerId ?? this.endedOffers.get(key)?.offerId ?? `rna:${attemptId || linkedid}`;
    this.emit({ type: 'offerMissed', extension, offerId, at });
  }

  private callOf(fact: ChannelFact): Call {
    const key = callKey(fact.extension, fact.linkedid);
    const call = this.openCalls.get(key);
    if (call) return call;
    const created = newCall(fact); // unreachable while channels and calls agree; keeps the types honest
    this.openCalls.set(key, created);
    return created;
  }

  private rememberOffer(key: string, call: Call): void {
    if (!call.offerId) return;
    this.endedOffers.delete(key);
    this.endedOffers.set(key, { extension: call.extension, offerId: call.offerId });
    if (this.endedOffers.size <= ENDED_OFFER_LIMIT) return;
    const oldest = this.endedOffers.keys().next().value;
    if (oldest !== undefined) this.endedOffers.delete(oldest);
  }

  private bury(uniqueid: string): void {
    this.tombstones.add(uniqueid);
    if (this.tombstones.size <= TOMBSTONE_LIMIT) return;
    const oldest = this.tombstones.values().next().value;
    if (oldest !== undefined) this.tombstones.delete(oldest);
  }
}

function newCall(fact: ChannelFact): Call {
  return {
    extension: fact.extension,
    linkedid: fact.linkedid,
    channels: new Set(),
    active: false,
    offerId: null,
  };
}

function callKey(extension: string, linkedid: string): string {
  return `${extension}\u0000${linkedid}`;
}
