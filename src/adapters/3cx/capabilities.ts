/**
 * What 3CX V20's XAPI lets this adapter do with each status-type setting (reference/3cx.md §4–§9). What it cannot:
 * no DND apart from the status profile, no per-queue login (one global `QueueStatus`), no queue pause and so no pause
 * reason (a status that "pauses" is LoggedOut; its profile is what shows the break), and no documented external-call
 * switch (`Internal` is an inference, off unless `externalCalls.enabled`).
 */
import type { PbxCapabilities } from '../pbx.js';

export function threeCxCapabilities(options: { externalCalls: { enabled: boolean } }): PbxCapabilities {
  return {
    presence: {
      support: 'supported',
      how: 'PATCH Users({Id}) CurrentProfileName (profile matched by Name or CustomName), read back',
    },
    dnd: {
      support: 'unsupported',
      how: '3CX has no DND apart from the status profile: what a profile does with calls is set on the profile',
    },
    queueLogin: {
      support: 'partial',
      scope: 'global',
      how: 'PATCH Users({Id}) QueueStatus LoggedIn|LoggedOut: all queues at once; XAPI has no per-queue login',
    },
    queuePause: {
      support: 'unsupported',
      reason: false,
      how: 'XAPI has no queue pause: a status that pauses (and wrap-up) is QueueStatus LoggedOut; no reason code',
    },
    ringMyMobile: {
      support: 'supported',
      how: 'RingMyMobile on every forwarding profile (complete list written back with Pbx.MultiUserUpdate)',
    },
    externalCalls: options.externalCalls.enabled
      ? {
          support: 'partial',
          directions: ['outbound'],
          how: 'PATCH Users({Id}) Internal (true = internal calls only; inferred, not documented by 3CX)',
        }
      : {
          support: 'unsupported',
          directions: [],
          how: 'not written: externalCalls.enabled is off (the XAPI field, Internal, is not documented by 3CX)',
        },
    phoneSideChanges: {
      support: 'partial',
      seen: ['presence:<profile>', 'queue:loggedIn', 'queue:loggedOut'],
      how: 'Users polled every presencePollIntervalMs (3CX pushes no profile or queue changes)',
    },
  };
}
