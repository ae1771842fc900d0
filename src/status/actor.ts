/**
 * Actors: who caused a change. An API key acts with its role and name; the PBX, timers and the catalog act as
 * `system` (name says which part). Every command may carry one; decide() records it on each event and on the
 * status it enters, so history can say "On Break, chosen by dana-desktop (agent)" or "Offline, forced by
 * supervisor lead-1".
 *
 * For code adding commands: pass `actor` on the command when a person or integration asked for it, and leave it
 * out for anything a timer or the system does; `actorOf()` then names the timer from the command type.
 * decide() checks no permissions: the HTTP layer has (canForce below is its rule for `force`).
 */
import type { Cause, Command } from './model.js';

export type ActorRole = 'admin' | 'supervisor' | 'agent' | 'integration' | 'system';

export interface Actor {
  role: ActorRole;
  /** The API key's name, or which part of the system (e.g. "freepbx:main", "timer:overage"). */
  name: string;
}

export function systemActor(name: string): Actor {
  return { role: 'system', name };
}

/** The phone system, named like an activity source ("freepbx:main"). */
export function pbxActor(source: string): Actor {
  return systemActor(source);
}

/** Commands the system issues by itself, and the name its actor gets when the command names none. */
const SYSTEM_NAMES: Partial<Record<Command['type'], string>> = {
  wrapUpElapsed: 'timer:wrap-up',
  connectionTimeout: 'timer:connection',
  overageDue: 'timer:overage',
  shiftAutoEnd: 'timer:shift',
  activityStale: 'timer:stale-activity',
  replanOverage: 'catalog',
};

export function actorOf(command: Command): Actor {
  return command.actor ?? systemActor(SYSTEM_NAMES[command.type] ?? 'system');
}

/**
 * The span cause of a status someone selects. Agents and integrations (acting for the agent, e.g. a desktop app)
 * are `user`; supervisors and admins are `supervisor`; a selection by the system comes from the phone (`pbx`).
 */
const SELECTION_CAUSE: Readonly<Record<ActorRole, Cause>> = {
  agent: 'user',
  integration: 'user',
  supervisor: 'supervisor',
  admin: 'supervisor',
  system: 'pbx',
};

export function selectionCause(actor: Actor): Cause {
  return SELECTION_CAUSE[actor.role];
}

/**
 * The system acting on its own account (no key, no phone, no named timer): what a command without an actor is.
 * Its selections are nobody's choice (e.g. they do not start the count of missed offers again).
 */
export function isSystemItself(actor: Actor): boolean {
  return actor.role === 'system' && actor.name === 'system';
}

/** May force changes (README "Routes": `force` is for supervisors and admins). */
export function canForce(actor: Actor): boolean {
  return actor.role === 'supervisor' || actor.role === 'admin';
}
