/**
 * Status profiles ("forwarding profiles") as the PBX names them. Names are never hard-coded: V20 has five
 * fixed internal `Name`s but admins and the UI show other labels (`CustomName`), and which is which is
 * unverified (reference §4, uncertainty 5). A configured name therefore matches `Name` or `CustomName`.
 */
import type { ForwardingProfile } from './xapi-types.js';

/** The profile a configured name refers to: `Name`, then `CustomName`; exact first, then ignoring case. */
export function findProfile(
  profiles: readonly ForwardingProfile[],
  wanted: string,
): ForwardingProfile | undefined {
  const folded = wanted.toLowerCase();
  return (
    profiles.find((p) => p.Name === wanted) ??
    profiles.find((p) => p.CustomName === wanted) ??
    profiles.find((p) => p.Name?.toLowerCase() === folded || p.CustomName?.toLowerCase() === folded)
  );
}

/** Whether `CurrentProfileName` denotes `profile` (3CX reports the internal Name; accept the label too). */
export function isCurrentProfile(current: string | null | undefined, profile: ForwardingProfile): boolean {
  return current != null && (current === profile.Name || current === profile.CustomName);
}

/** The value to write into `CurrentProfileName`: the internal Name the PBX itself reports. */
export function profileKey(profile: ForwardingProfile, wanted: string): string {
  return profile.Name ?? wanted;
}

/**
 * "Ring my mobile" is one flag per profile; the bridge's intent is per user, so every profile gets it
 * (reference §6: "simplest: all five"), and the agent's next profile switch keeps it.
 */
export function ringMyMobileIs(profiles: readonly ForwardingProfile[], on: boolean): boolean {
  return profiles.every((p) => (p.RingMyMobile ?? false) === on);
}

/** The full list with `RingMyMobile` set; every other field and profile is kept as read. */
export function withRingMyMobile(profiles: readonly ForwardingProfile[], on: boolean): ForwardingProfile[] {
  return profiles.map((p) => ({ ...p, RingMyMobile: on }));
}
