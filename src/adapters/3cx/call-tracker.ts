/**
 * Offers and calls per extension, from Call Control participants (reference §8). Each participant under a DN is
 * a leg with a status: `Ringing` (a call offered to the extension) is an *offer*; `Connected` (answered) and
 * `Dialing` (the extension calls out) make the DN *engaged*: its first such leg starts an activity (id = the leg's
 * `callid`), and the activity ends when no such leg is left. Transfers and consultations add legs under the same
 * DN without starting a second activity. A leg that goes from Ringing to Connected ends its offer `answered`.
 *
 * Missed: a Ringing leg removed without having been connected ended its offer unanswered; it is a missed offer
 * unless its call was answered on another monitored extension (a ringall queue, a ring group): 3CX removes the
 * other members' ringing legs then. Which of "removed here" and "connected there" arrives first is not known, and
 * an Upsert needs a GET while a Remove does not, so the verdict waits `missGraceMs` (due()) for a connection of
 * the same call. A caller who hangs up while it rings cannot be told apart from a ring-out: 3CX sends the same
 * Remove (README "3CX").
 *
 * Pure and synchronous (the clock is passed in): the event sources feed it and report what it returns.
 */
import type { SnapshotCall, SnapshotOffer } from '../pbx.js';
import type { CcDnInfo, CcParticipant } from './callcontrol-api.js';

export type CallChange =
  | { type: 'started'; extension: string; activityId: string }
  | { type: 'ended'; extension: string; activityId: string }
  | { type: 'offerStarted'; extension: string; offerId: string }
  | { type: 'offerEnded'; extension: string; offerId: string; answered: boolean }
  | { type: 'offerMissed'; extension: string; offerId: string };

type LegPhase = 'offer' | 'active';

/** Participant status → what the leg is; other values fall back to PHASE_FALLBACK. */
export const PHASE_BY_STATUS: Readonly<Record<string, LegPhase>> = {
  Ringing: 'offer', // incoming, not answered
  Connected: 'active', // answered (3CX has no held state: a held call stays Connected)
  Dialing: 'active', // the extension calls out: a call from the first moment
};
/**
 * A status we cannot read (the GET after an Upsert failed) or do not know counts as a call: deferring a status
 * wrongly is safer than interrupting a call.
 */
const PHASE_FALLBACK: LegPhase = 'active';

interface Leg {
  phase: LegPhase;
  callid: string | null;
  /** Set while the leg is an open offer. */
  offer: { id: string; since: number } | null;
}

interface DnState {
  legs: Map<string, Leg>;
  /** The engagement's activity id, while some leg is active. */
  activityId: string | null;
}

interface PendingMiss {
  extension: string;
  offerId: string;
  callid: string | null;
  since: number;
  dueAt: number;
}

const ANSWERED_LIMIT = 5_000;

export class CallTracker {
  private dns = new Map<string, DnState>();
  /** callid → when a leg of it was last seen connected, on any DN. */
  private readonly answered = new Map<string, number>();
  private pending: PendingMiss[] = [];

  constructor(
    private readonly missGraceMs = 3_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A participant exists (added or changed). */
  upsert(dn: string, participant: CcParticipant): CallChange[] {
    const state = this.dns.get(dn) ?? { legs: new Map(), activityId: null };
    this.dns.set(dn, state);
    const id = String(participant.id);
    const phase = PHASE_BY_STATUS[participant.status ?? ''] ?? PHASE_FALLBACK;
    const callid = callidOf(participant);
    const changes: CallChange[] = [];
    let leg = state.legs.get(id);
    if (!leg) {
      leg = { phase, callid, offer: null };
      state.legs.set(id, leg);
      if (phase === 'offer') {
        leg.offer = { id: offerIdOf(dn, id), since: this.now() };
        changes.push({ type: 'offerStarted', extension: dn, offerId: leg.offer.id });
      }
    } else if (leg.phase === 'offer' && phase === 'active') {
      leg.phase = 'active'; // answered; a connected leg never rings again
      if (leg.offer)
        changes.push({ type: 'offerEnded', extension: dn, offerId: leg.offer.id, answered: true });
      leg.offer = null;
    }
    leg.callid ??= callid;
    if (leg.phase === 'active') {
      if (leg.callid) this.markAnswered(leg.callid);
      if (state.activityId === null) {
        state.activityId = activityIdOf(dn, id, leg.callid);
        changes.push({ type: 'started', extension: dn, activityId: state.activityId });
      }
    }
    return changes;
  }

  /** A participant is gone; unknown ones are ignored. */
  remove(dn: string, participantId: string): CallChange[] {
    const state = this.dns.get(dn);
    const leg = state?.legs.get(participantId);
    if (!state || !leg) return [];
    state.legs.delete(participantId);
    const changes: CallChange[] = [];
    if (leg.offer) {
      changes.push({ type: 'offerEnded', extension: dn, offerId: leg.offer.id, answered: false });
      const { id: offerId, since } = leg.offer;
      this.pending.push({
        extension: dn,
        offerId,
        callid: leg.callid,
        since,
        dueAt: this.now() + this.missGraceMs,
      });
    }
    const engaged = [...state.legs.values()].some((l) => l.phase === 'active');
    if (state.activityId !== null && !engaged) {
      changes.push({ type: 'ended', extension: dn, activityId: state.activityId });
      state.activityId = null;
    }
    if (state.legs.size === 0) this.dns.delete(dn);
    return changes;
  }

  /**
   * Brings the state to a full listing and returns the differences: per DN, legs gone first (so a DN whose legs
   * were all replaced between two listings had one call end and another start), then legs new or changed.
   */
  sync(listing: readonly CcDnInfo[]): CallChange[] {
    const next = new Map(listing.map((info) => [info.dn, info.participants ?? []]));
    const changes: CallChange[] = [];
    for (const dn of new Set([...this.dns.keys(), ...next.keys()])) {
      const listed = next.get(dn) ?? [];
      const ids = new Set(listed.map((p) => String(p.id)));
      for (const id of [...(this.dns.get(dn)?.legs.keys() ?? [])])
        if (!ids.has(id)) changes.push(...this.remove(dn, id));
      for (const participant of listed) changes.push(...this.upsert(dn, participant));
    }
    return changes;
  }

  /** Offers removed unanswered whose grace is over: missed, unless their call was connected elsewhere meanwhile. */
  due(): CallChange[] {
    const now = this.now();
    const ready = this.pending.filter((p) => p.dueAt <= now);
    if (ready.length === 0) return [];
    this.pending = this.pending.filter((p) => p.dueAt > now);
    return ready
      .filter((p) => !this.answeredSince(p.callid, p.since))
      .map((p) => ({ type: 'offerMissed', extension: p.extension, offerId: p.offerId }));
  }

  isEngaged(dn: string): boolean {
    return (this.dns.get(dn)?.activityId ?? null) !== null;
  }

  private markAnswered(callid: string): void {
    this.answered.delete(callid);
    this.answered.set(callid, this.now());
    if (this.answered.size <= ANSWERED_LIMIT) return;
    const oldest = this.answered.keys().next().value;
    if (oldest !== undefined) this.answered.delete(oldest);
  }

  private answeredSince(callid: string | null, since: number): boolean {
    const at = callid === null ? undefined : this.answered.get(callid);
    return at !== undefined && at >= since;
  }
}

/** The calls of a listing, one per engaged DN (for snapshot()). */
export function callsOf(listing: readonly CcDnInfo[]): SnapshotCall[] {
  return listing.flatMap((info) => {
    const first = (info.participants ?? []).find((p) => phaseOf(p) === 'active');
    if (!first) return [];
    return [
      {
        extension: info.dn,
        activityId: activityIdOf(info.dn, String(first.id), callidOf(first)),
        kind: 'call',
      },
    ];
  });
}

/** The ringing legs of a listing (for snapshot()). */
export function offersOf(listing: readonly CcDnInfo[]): SnapshotOffer[] {
  return listing.flatMap((info) =>
    (info.participants ?? [])
      .filter((p) => phaseOf(p) === 'offer')
      .map((p) => ({ extension: info.dn, offerId: offerIdOf(info.dn, String(p.id)) })),
  );
}

function phaseOf(participant: CcParticipant): LegPhase {
  return PHASE_BY_STATUS[participant.status ?? ''] ?? PHASE_FALLBACK;
}

function callidOf(participant: CcParticipant): string | null {
  const callid = participant.callid;
  return callid === undefined || callid === null || callid === '' ? null : String(callid);
}

/** The call id groups the legs of one call; without it, the participant itself names the activity. */
function activityIdOf(dn: string, participantId: string, callid: string | null): string {
  return callid ?? `${dn}:${participantId}`;
}

/** One offer per ringing leg: a queue that rings the same agent again for the same call makes a new leg. */
function offerIdOf(dn: string, participantId: string): string {
  return `${dn}:${participantId}`;
}
