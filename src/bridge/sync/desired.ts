/**
 * Desired PBX settings of a user = f(current status type). Pure. While the user is engaged the *current* status's
 * settings stay: an upcoming status is not pushed until it is applied (it is not part of the state's status).
 */
import type { DesiredSettings } from '../../adapters/pbx.js';
import type { Catalog, UserState } from '../../status/index.js';
import { defaultPbxPresence } from '../../status/index.js';

export function desiredSettings(
  state: UserState,
  catalog: Catalog,
  queueMode: 'logout' | 'pause',
): DesiredSettings {
  const type = catalog.get(state.status.id);
  // A type deleted under a user (a narrow race): behave as a status that takes no calls, the safe side.
  const callHandling = type?.callHandling ?? { ringMyMobile: false, queueLogin: false, externalCalls: false };
  const presence = type?.pbxPresence ?? defaultPbxPresence(callHandling);
  const name = type?.name ?? state.status.id;
  return {
    statusId: state.status.id,
    statusName: name,
    presence: { freepbx: { ...presence.freepbx }, '3cx': { ...presence['3cx'] } },
    queues: { loggedIn: callHandling.queueLogin, mode: queueMode, reason: name },
    ringMyMobile: callHandling.ringMyMobile,
    externalCalls: callHandling.externalCalls,
  };
}

/** A stable string of what would be pushed, so a job can tell "already applied" without asking the PBX. */
export function fingerprint(
  target: { extension: string; queues: string[]; mobile?: string | undefined },
  desired: DesiredSettings,
): string {
  return JSON.stringify([target.extension, target.queues, target.mobile ?? null, desired]);
}
