/**
 * The parts of XAPI entities the adapter reads (swagger `Pbx.User`, `Pbx.ForwardingProfile`). Profiles
 * keep every other field through the index signature, because ForwardingProfiles is written back whole.
 */

/** `Pbx.QueueStatusType`: global queue login of a user (all queues). */
export type QueueStatus = 'LoggedIn' | 'LoggedOut';

/** `Pbx.ForwardingProfile`; unknown fields are preserved as read. */
export interface ForwardingProfile {
  Id: number;
  Name?: string | null;
  CustomName?: string | null;
  RingMyMobile?: boolean | null;
  [field: string]: unknown;
}

/** `Pbx.User` as read by apply(): `$select` of our fields plus `$expand=ForwardingProfiles`. */
export interface UserSettings {
  Id: number;
  Number: string;
  CurrentProfileName?: string | null;
  QueueStatus?: QueueStatus | null;
  Internal?: boolean | null;
  ForwardingProfiles?: ForwardingProfile[];
}

/** One row of the presence poll. */
export interface UserPresenceRow {
  Id: number;
  Number: string;
  CurrentProfileName?: string | null;
  QueueStatus?: QueueStatus | null;
}
