/**
 * Profile names in the bridge's vocabulary. The bridge names a 3CX status profile as configured — the
 * internal `Name` or the admin's `CustomName` ("Lunch") — while `CurrentProfileName` reports the
 * internal Name ("Custom 1") [C, reference §4]. The bridge compares names (echo check, presence map), so
 * apply() records per extension which configured name each internal Name stands for, and phone-side
 * changes are reported with that name. Per extension, because CustomName is a per-user setting.
 */
import type { PhonePresence } from '../pbx.js';

export class ProfileVocabulary {
  private readonly byExtension = new Map<string, Map<string, string>>();

  learn(extension: string, internal: string, configured: string): void {
    let names = this.byExtension.get(extension);
    if (!names) this.byExtension.set(extension, (names = new Map()));
    names.set(internal, configured);
  }

  /** `presence` with the profile renamed to the configured name, when one is known. */
  inBridgeTerms(extension: string, presence: PhonePresence): PhonePresence {
    const configured = presence.presence && this.byExtension.get(extension)?.get(presence.presence);
    return configured ? { ...presence, presence: configured } : presence;
  }
}
