/**
 * What FreePBX / Asterisk can do with each status-type setting, and how this adapter does it on the wire (facts in
 * reference/freepbx-ami.md, checked against apps/app_queue.c and FreePBX core's dialplan). Static: the same for
 * every extension and known without a connection.
 */
import type { PbxCapabilities } from '../pbx.js';

export const FREEPBX_CAPABILITIES: Readonly<PbxCapabilities> = {
  presence: {
    support: 'supported',
    how: 'Setvar PRESENCE_STATE(CustomPresence:<ext>) = <state>,,<message> (BLF / UCP presence)',
  },
  dnd: {
    support: 'supported',
    how: 'AstDB DND/<ext> = YES (deleted for off) and DEVICE_STATE(Custom:DND<ext>), Custom:DEVDND<dev>: as *76',
  },
  queueLogin: {
    support: 'supported',
    scope: 'per-queue',
    how: "QueueAdd / QueueRemove of Local/<ext>@from-queue/n in each of the user's queues, penalty from QPENALTY",
  },
  queuePause: {
    support: 'supported',
    reason: true,
    how:
      'QueuePause Paused=true Reason=<pause reason> per queue; logging in straight into a paused status is one ' +
      'QueueAdd Paused=true Reason=… (Reason honoured since Asterisk 20.12/21.7/22.2, older ones get it by a ' +
      're-pause); static members are paused instead of removed',
  },
  ringMyMobile: {
    support: 'supported',
    how: 'Follow Me: AMPUSER/<ext>/followme/ddial DIRECT|EXTENSION, the mobile added to grplist; needs a Follow Me',
  },
  externalCalls: {
    support: 'supported',
    directions: ['outbound', 'inbound'],
    how:
      'AstDB PRESENCEBRIDGE/<ext>/external = allow|deny, enforced by the dialplan hooks in ' +
      'config/freepbx/extensions_custom.conf: outbound trunks skipped (emergency routes exempt), inbound external ' +
      'calls (FROM_DID set) answered busy before the extension rings; without the hooks nothing enforces it',
  },
  phoneSideChanges: {
    support: 'supported',
    seen: [
      'dnd:on',
      'dnd:off',
      'presence:<state>',
      'queue:paused',
      'queue:paused:<reason>',
      'queue:unpaused',
      'queue:loggedIn',
      'queue:loggedOut',
    ],
    how:
      'DeviceStateChange Custom:DND<ext> (needs USEDEVSTATE), PresenceStateChange CustomPresence:<ext>, ' +
      'QueueMemberAdded/Removed/Pause of our member interface (*45, *46)',
  },
};
