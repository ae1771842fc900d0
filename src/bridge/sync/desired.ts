/**
 * Desired PBX settings of a user = f(state, catalog, now). Pure. Two parts, pushed on different clocks:
 * - display (presence / BLF message, the 3CX profile, ring my mobile, external calls) always follows the *current*
 *   status: an upcoming status shows only once it is applied (the spec's deferral);
 * - routing (queue login / pause / logout and DND) is what decides whether a new call reaches the agent. With
 *   `routeOnUpcoming` an upcoming status that takes no queue calls routes at once ("next status": no new queue call
 *   lands between the selection and the end of the work, which would defer the break again, indefinitely under
 *   load). An upcoming status that does take queue calls never routes early: the agent is still busy.
 * During wrap-up (after-call work) a member that would take queue calls is paused with its own reason instead.
 */
import { hash } from 'node:crypto';
import type { DesiredSettings } from '../../adapters/pbx.js';
import {
  isInWrapUp,
  queueHandling,
  defaultPbxPresence,
  type Catalog,
  type QueueMode,
  type StatusType,
  type UserState,
} from '../../status/index.js';

export interface DesiredOptions {
  /** The deprecated global `sync.queueMode`, when configured: the queue handling of types that set none. */
  queueModeFallback?: QueueMode | undefined;
  /** Route by a non-routable upcoming status at once (`sync.routeOnUpcoming`). */
  routeOnUpcoming: boolean;
  /** Pause reason during wrap-up; null: queue members are not paused during wrap-up. */
  wrapUpPauseReason: string | null;
}

/** What a status that vanished from the catalog gets (a narrow race): no calls, the safe side. */
const NO_CALLS = { ringMyMobile: false, queueLogin: false, externalCalls: false };

export function desiredSettings(
  state: UserState,
  catalog: Catalog,
  options: DesiredOptions,
  now: string,
): DesiredSettings {
  const shown = catalog.get(state.status.id);
  const callHandling = shown?.callHandling ?? NO_CALLS;
  const presence = shown?.pbxPresence ?? defaultPbxPresence(callHandling);
  const { presence: shownState, message } = presence.freepbx;
  const routing = routingOf(state, catalog, options, now);
  return {
    statusId: state.status.id,
    statusName: shown?.name ?? state.status.id,
    presence: {
      freepbx: { dnd: routing.dnd, presence: shownState, ...(message === undefined ? {} : { message }) },
      '3cx': { ...presence['3cx'] },
    },
    queues: routing.queues,
    ringMyMobile: callHandling.ringMyMobile,
    externalCalls: callHandling.externalCalls,
  };
}

interface Routing {
  dnd: boolean;
  queues: DesiredSettings['queues'];
}

function routingOf(state: UserState, catalog: Catalog, options: DesiredOptions, now: string): Routing {
  const source = routingType(state, catalog, options);
  const routing = source ? routingFrom(source, options.queueModeFallback) : unknownRouting(state.status.id);
  if (routing.queues.loggedIn && options.wrapUpPauseReason !== null && isInWrapUp(state, now))
    return { ...routing, queues: { loggedIn: false, mode: 'pause', reason: options.wrapUpPauseReason } };
  return routing;
}

/** The type whose routing applies: the current one, or a non-routable upcoming one with routeOnUpcoming. */
function routingType(state: UserState, catalog: Catalog, options: DesiredOptions): StatusType | undefined {
  const upcoming = state.upcoming ? catalog.get(state.upcoming.id) : undefined;
  if (options.routeOnUpcoming && upcoming && !upcoming.callHandling.queueLogin) return upcoming;
  return catalog.get(state.status.id);
}

function routingFrom(type: StatusType, fallback: QueueMode | undefined): Routing {
  const { mode, reason } = queueHandling(type, fallback);
  return {
    dnd: type.pbxPresence.freepbx.dnd,
    queues: { loggedIn: type.callHandling.queueLogin, mode, reason },
  };
}

function unknownRouting(statusId: string): Routing {
  return { dnd: true, queues: { loggedIn: false, mode: 'pause', reason: statusId } };
}

/**
 * A short stable digest of what would be pushed to a user (connection, target and settings): the sync record keeps
 * the one last applied, so a sync can tell "already applied" without asking the PBX, and the commit keeps the one
 * now desired, so a change of it marks the user's sync state pending in the commit's own step.
 */
export function fingerprint(
  connection: string,
  target: { extension: string; queues: string[]; mobile?: string | undefined },
  desired: DesiredSettings,
): string {
  const text = JSON.stringify([connection, target.extension, target.queues, target.mobile ?? null, desired]);
  return hash('sha256', text, 'base64url').slice(0, 22); // one-shot: half the cost of createHash().update().digest()
}

/**
 * The fingerprint of the settings a user's state asks for, or null when the user has no PBX extension. Computed
 * by the commit path (UserService) and by the sync worker alike, from the same inputs.
 */
export function desiredFingerprint(
  state: UserState,
  catalog: Catalog,
  options: DesiredOptions,
  now: string,
): string | null {
  const pbx = state.directory.pbx;
  if (!pbx) return null;
  const target = {
    extension: pbx.extension,
    queues: state.directory.queues,
    mobile: state.directory.mobile ?? undefined,
  };
  return fingerprint(pbx.connection, target, desiredSettings(state, catalog, options, now));
}

/** DesiredOptions from the `sync` section of the configuration. */
export function desiredOptionsOf(sync: {
  queueMode?: QueueMode | undefined;
  routeOnUpcoming: boolean;
  pauseDuringWrapUp: boolean;
  wrapUpPauseReason: string;
}): DesiredOptions {
  return {
    queueModeFallback: sync.queueMode,
    routeOnUpcoming: sync.routeOnUpcoming,
    wrapUpPauseReason: sync.pauseDuringWrapUp ? sync.wrapUpPauseReason : null,
  };
}
