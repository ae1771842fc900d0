/**
 * Which extensions are in a call, from Call Control participants. A DN is engaged while at least one
 * participant exists under it; the first participant starts an activity (id = its `callid`), the last
 * one removed ends that same activity. Transfers and consultations add legs under the same DN without
 * starting a second activity. Pure and synchronous: the event sources feed it and emit what it returns.
 */
import type { SnapshotCall } from '../pbx.js';
import type { CcDnInfo, CcParticipant } from './callcontrol-api.js';

export interface CallChange {
  type: 'started' | 'ended';
  extension: string;
  activityId: string;
}

interface Engagement {
  activityId: string;
  participants: Set<string>;
}

export class CallTracker {
  private engaged = new Map<string, Engagement>();

  /** A participant exists (added or changed). Returns `started` for the DN's first one. */
  upsert(dn: string, participant: CcParticipant): CallChange | null {
    const known = this.engaged.get(dn);
    if (known) {
      known.participants.add(String(participant.id));
      return null;
    }
    const engagement = {
      activityId: activityIdOf(dn, participant),
      participants: new Set([String(participant.id)]),
    };
    this.engaged.set(dn, engagement);
    return { type: 'started', extension: dn, activityId: engagement.activityId };
  }

  /** A participant is gone. Returns `ended` when it was the DN's last one; unknown ones are ignored. */
  remove(dn: string, participantId: string): CallChange | null {
    const known = this.engaged.get(dn);
    if (!known?.participants.delete(participantId)) return null;
    if (known.participants.size > 0) return null;
    this.engaged.delete(dn);
    return { type: 'ended', extension: dn, activityId: known.activityId };
  }

  /**
   * Replaces the state with a full listing and returns the differences. A DN whose participants were
   * all replaced between two listings had one call end and another start.
   */
  sync(listing: readonly CcDnInfo[]): CallChange[] {
    const next = engagementsOf(listing);
    const changes: CallChange[] = [];
    for (const [dn, before] of this.engaged) {
      const after = next.get(dn);
      if (after && overlaps(before, after)) after.activityId = before.activityId;
      else changes.push({ type: 'ended', extension: dn, activityId: before.activityId });
    }
    for (const [dn, after] of next) {
      if (after.activityId !== this.engaged.get(dn)?.activityId) {
        changes.push({ type: 'started', extension: dn, activityId: after.activityId });
      }
    }
    this.engaged = next;
    return changes;
  }

  isEngaged(dn: string): boolean {
    return this.engaged.has(dn);
  }
}

/** The calls of a listing, one per engaged DN (for snapshot()). */
export function callsOf(listing: readonly CcDnInfo[]): SnapshotCall[] {
  return [...engagementsOf(listing)].map(([extension, e]) => ({
    extension,
    activityId: e.activityId,
    kind: 'call',
  }));
}

function engagementsOf(listing: readonly CcDnInfo[]): Map<string, Engagement> {
  const result = new Map<string, Engagement>();
  for (const info of listing) {
    const first = info.participants?.[0];
    if (!first) continue;
    const ids = new Set((info.participants ?? []).map((p) => String(p.id)));
    result.set(info.dn, { activityId: activityIdOf(info.dn, first), participants: ids });
  }
  return result;
}

function overlaps(a: Engagement, b: Engagement): boolean {
  return [...a.participants].some((id) => b.participants.has(id));
}

/** The call id groups the legs of one call; without it, the participant itself names the activity. */
function activityIdOf(dn: string, participant: CcParticipant): string {
  const callid = participant.callid;
  return callid === undefined || callid === null || callid === ''
    ? `${dn}:${participant.id}`
    : String(callid);
}
