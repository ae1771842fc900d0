/**
 * Open calls per extension, from channel events, as activityStarted / activityEnded.
 *
 * Design (reference §3 "Suggested algorithm"): a map of the agent's real device channels by Uniqueid;
 * the activity is the (extension, Linkedid) pair, started when its first channel appears and ended when
 * its last one is gone, so two legs of one call (a transfer, a second device) end only at the last.
 * At-least-once input: re-opening a known channel or closing an unknown one is a no-op, and a bounded
 * tombstone set of hung-up Uniqueids stops a late or out-of-order event from resurrecting a channel.
 *
 * Snapshot: between beginSnapshot() and finishSnapshot() live changes are buffered; the snapshot
 * replaces the map silently (the bridge diffs it), then the buffered changes are replayed on top, so a
 * Hangup that raced the CoreShowChannels listing still wins.
 */
import type { PbxEvent, SnapshotCall } from '../pbx.js';

/** One device channel of an extension. */
export interface ChannelFact {
  uniqueid: string;
  extension: string;
  linkedid: string;
  since: Date;
}

type Change = { kind: 'open'; fact: ChannelFact } | { kind: 'close'; uniqueid: string; at: Date };

const TOMBSTONE_LIMIT = 10_000;

export class CallTracker {
  private readonly channels = new Map<string, ChannelFact>();
  /** activity key → uniqueids of its open channels */
  private readonly activities = new Map<string, Set<string>>();
  private readonly tombstones = new Set<string>();
  private buffer: Change[] | null = null;

  constructor(private readonly emit: (event: PbxEvent) => void) {}

  /** A channel exists (Newchannel, or Newstate for one we missed). */
  opened(fact: ChannelFact): void {
    if (this.buffer) this.buffer.push({ kind: 'open', fact });
    else this.applyOpen(fact, true);
  }

  /** A channel is gone (Hangup). */
  closed(uniqueid: string, at: Date): void {
    if (this.buffer) this.buffer.push({ kind: 'close', uniqueid, at });
    else this.applyClose(uniqueid, at);
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
    for (const change of pending) {
      if (change.kind === 'open') this.applyOpen(change.fact, true);
      else this.applyClose(change.uniqueid, change.at);
    }
  }

  /** Open calls, one per (extension, linkedid), with the oldest channel's start. */
  calls(): SnapshotCall[] {
    const out: SnapshotCall[] = [];
    for (const uniqueids of this.activities.values()) {
      const facts = [...uniqueids].map((id) => this.channels.get(id)).filter((f) => f !== undefined);
      const first = facts.reduce<ChannelFact | undefined>(
        (a, b) => (a && a.since <= b.since ? a : b),
        undefined,
      );
      if (first)
        out.push({
          extension: first.extension,
          activityId: first.linkedid,
          kind: 'call',
          since: first.since,
        });
    }
    return out;
  }

  private replaceWith(facts: ChannelFact[]): void {
    this.channels.clear();
    this.activities.clear();
    for (const fact of facts) this.applyOpen(fact, false);
  }

  private applyOpen(fact: ChannelFact, announce: boolean): void {
    if (this.tombstones.has(fact.uniqueid) || this.channels.has(fact.uniqueid)) return;
    this.channels.set(fact.uniqueid, fact);
    const key = activityKey(fact);
    const open = this.activities.get(key) ?? new Set<string>();
    open.add(fact.uniqueid);
    this.activities.set(key, open);
    if (announce && open.size === 1) {
      const { extension, linkedid: activityId, since: at } = fact;
      this.emit({ type: 'activityStarted', extension, activityId, kind: 'call', at });
    }
  }

  private applyClose(uniqueid: string, at: Date): void {
    this.bury(uniqueid);
    const fact = this.channels.get(uniqueid);
    if (!fact) return;
    this.channels.delete(uniqueid);
    const key = activityKey(fact);
    const open = this.activities.get(key);
    open?.delete(uniqueid);
    if (open && open.size > 0) return;
    this.activities.delete(key);
    this.emit({ type: 'activityEnded', extension: fact.extension, activityId: fact.linkedid, at });
  }

  private bury(uniqueid: string): void {
    this.tombstones.add(uniqueid);
    if (this.tombstones.size <= TOMBSTONE_LIMIT) return;
    const oldest = this.tombstones.values().next().value;
    if (oldest !== undefined) this.tombstones.delete(oldest);
  }
}

function activityKey(fact: ChannelFact): string {
  return `${fact.extension}\u0000${fact.linkedid}`;
}
