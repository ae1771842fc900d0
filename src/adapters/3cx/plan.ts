/**
 * Desired settings vs. the user's current XAPI record → the writes that make them equal. Pure, so the
 * same function also checks the read-back: a change still planned after writing is a field the PBX
 * ignored.
 *
 * Mapping (3CX V20, reference §4–§7):
 * - presence      → `CurrentProfileName` (profile found by Name or CustomName)
 * - queues        → `QueueStatus` LoggedIn/LoggedOut. Global, all queues: XAPI has no per-queue login
 *   and no pause with reason, so `mode: 'pause'` (a break, wrap-up) also logs out and `reason`/`target.queues`
 *   are unused; the bridge reports them in the user's `pbx.sync.unsupported` (capabilities.ts).
 * - ringMyMobile  → `RingMyMobile` on every forwarding profile
 * - externalCalls → `Internal` (true = internal calls only) — an inference [I], hence behind a switch.
 */
import type { DesiredSettings } from '../pbx.js';
import { PbxError } from '../pbx.js';
import { findProfile, isCurrentProfile, profileKey, ringMyMobileIs, withRingMyMobile } from './profiles.js';
import type { UserPatch } from './user-settings.js';
import type { ForwardingProfile, UserSettings } from './xapi-types.js';

/** A setting that differs: its DesiredSettings name and the XAPI field that carries it. */
export interface Change {
  setting: 'presence' | 'queues' | 'ringMyMobile' | 'externalCalls';
  field: 'CurrentProfileName' | 'QueueStatus' | 'RingMyMobile' | 'Internal';
}

export interface WritePlan {
  changes: Change[];
  /** The status profile the desired presence names (always found, else PBX_UNKNOWN_VALUE). */
  profile: ForwardingProfile;
  patch: UserPatch;
  /** The complete profile list to write back, or null when RingMyMobile already matches. */
  profiles: ForwardingProfile[] | null;
}

export interface PlanOptions {
  extension: string;
  externalCalls: boolean;
}

export function planWrites(user: UserSettings, desired: DesiredSettings, options: PlanOptions): WritePlan {
  const wanted = desired.presence['3cx'].profile;
  const plan: WritePlan = {
    changes: [],
    profile: requireProfile(user, wanted, options.extension),
    patch: {},
    profiles: null,
  };
  planPresence(plan, user, wanted);
  planQueue(plan, user, desired.queues.loggedIn);
  planRingMyMobile(plan, user, desired.ringMyMobile);
  if (options.externalCalls) planExternalCalls(plan, user, desired.externalCalls);
  return plan;
}

function requireProfile(user: UserSettings, wanted: string, extension: string): ForwardingProfile {
  const profile = findProfile(user.ForwardingProfiles ?? [], wanted);
  if (profile) return profile;
  throw new PbxError(
    'PBX_UNKNOWN_VALUE',
    `3CX: no status profile named "${wanted}" for extension ${extension}`,
    {
      extension,
      field: 'CurrentProfileName',
    },
  );
}

function planPresence(plan: WritePlan, user: UserSettings, wanted: string): void {
  if (isCurrentProfile(user.CurrentProfileName, plan.profile)) return;
  plan.patch.CurrentProfileName = profileKey(plan.profile, wanted);
  plan.changes.push({ setting: 'presence', field: 'CurrentProfileName' });
}

function planQueue(plan: WritePlan, user: UserSettings, loggedIn: boolean): void {
  const wanted = loggedIn ? 'LoggedIn' : 'LoggedOut';
  if (user.QueueStatus === wanted) return;
  plan.patch.QueueStatus = wanted;
  plan.changes.push({ setting: 'queues', field: 'QueueStatus' });
}

function planRingMyMobile(plan: WritePlan, user: UserSettings, on: boolean): void {
  const profiles = user.ForwardingProfiles ?? [];
  if (ringMyMobileIs(profiles, on)) return;
  plan.profiles = withRingMyMobile(profiles, on);
  plan.changes.push({ setting: 'ringMyMobile', field: 'RingMyMobile' });
}

function planExternalCalls(plan: WritePlan, user: UserSettings, allowed: boolean): void {
  const internalOnly = !allowed;
  if ((user.Internal ?? false) === internalOnly) return;
  plan.patch.Internal = internalOnly;
  plan.changes.push({ setting: 'externalCalls', field: 'Internal' });
}
