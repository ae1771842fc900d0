/**
 * Shared fixtures for the status domain tests: a catalog with limits and allowances, a clock in seconds
 * from T0, command builders, and run() which drives decide() and fails loudly on an unexpected outcome.
 * States are only ever built through decide(), so tests never depend on hand-made states.
 */
import { expect } from 'vitest';
import { decide, newUserState, type DecideContext } from '../../src/status/decide.js';
import type { DomainError } from '../../src/status/errors.js';
import type {
  Actor,
  ActivityKind,
  Command,
  DecideConfig,
  Directory,
  DomainEvent,
  DomainEventType,
  TimerRequest,
  UserState,
} from '../../src/status/model.js';
import { builtInStatusTypes, type Catalog, type StatusType } from '../../src/status/status-type.js';

export const USER = 'u-1001';
export const T0 = '2024-05-01T08:00:00.000Z';

/** The time `seconds` after T0. */
export function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

export const DIRECTORY: Directory = {
  displayName: 'Dana',
  pbx: { connection: 'main', extension: '1001' },
  mobile: null,
  queues: ['sales'],
  wrapUpSeconds: null,
};

export function statusType(id: string, fields: Partial<StatusType> = {}): StatusType {
  const base = builtInStatusTypes(T0).find((t) => t.id === 'active')!;
  return { ...base, id, name: id.toUpperCase(), builtIn: false, ...fields };
}

/**
 * Built-ins (on-break: 15 allowed minutes, keeps status on connection loss, cannot end a shift) plus
 * lunch (2 per shift, 30 allowed minutes) and training (1 per shift).
 */
export function catalogOf(...types: StatusType[]): Catalog {
  const all = [...builtInStatusTypes(T0), statusType('lunch', { limitPerShift: 2, allowedMinutes: 30 })];
  all.push(statusType('training', { limitPerShift: 1 }), ...types);
  return new Map(all.map((t) => [t.id, t]));
}

export const CATALOG = catalogOf();
export const CONFIG: DecideConfig = {
  requireShift: false,
  connectionTimeoutSeconds: 90,
  wrapUpSeconds: 0,
  wrapUpMaxSeconds: 600,
  missedOffers: null,
};

export interface Env {
  catalog?: Catalog;
  config?: Partial<DecideConfig>;
}

export function ctx(seconds: number, env: Env = {}): DecideContext {
  return { now: at(seconds), catalog: env.catalog ?? CATALOG, config: { ...CONFIG, ...env.config } };
}

export function fresh(): UserState {
  return newUserState(USER, DIRECTORY, T0);
}

/** Who issues a test command: short names for the actors the domain sees. */
export type Who = 'user' | 'supervisor' | 'admin' | 'integration' | 'pbx' | 'system';
export const ACTORS: Readonly<Record<Who, Actor>> = {
  user: { role: 'agent', name: 'dana-desktop' },
  supervisor: { role: 'supervisor', name: 'lead-1' },
  admin: { role: 'admin', name: 'ops' },
  integration: { role: 'integration', name: 'uniconnect' },
  pbx: { role: 'system', name: 'freepbx:main' },
  system: { role: 'system', name: 'system' },
};

export const cmd = {
  select: (statusId: string, who: Who = 'user'): Command => ({
    type: 'selectStatus',
    statusId,
    actor: ACTORS[who],
  }),
  force: (statusId: string, reason?: string, who: Who = 'supervisor'): Command => ({
    type: 'selectStatus',
    statusId,
    force: true,
    actor: ACTORS[who],
    ...(reason !== undefined ? { reason } : {}),
  }),
  cancel: (who: Who = 'user'): Command => ({ type: 'cancelUpcoming', actor: ACTORS[who] }),
  begin: (id: string, kind: ActivityKind = 'call'): Command => ({
    type: 'beginActivity',
    activity: { id, kind, source: 'freepbx:main' },
  }),
  end: (activityId: string): Command => ({ type: 'endActivity', activityId }),
  endWrapUp: (): Command => ({ type: 'endWrapUp' }),
  /** The timer of the wrap-up for `activityId`; `until` defaults to what the state's wrap-up ends at (see run()). */
  wrapUpElapsed: (activityId: string, until?: string): Command =>
    until === undefined
      ? { type: 'wrapUpElapsed', activityId }
      : { type: 'wrapUpElapsed', activityId, until },
  extendWrapUp: (seconds: number): Command => ({ type: 'extendWrapUp', seconds }),
  offer: (id: string): Command => ({ type: 'beginOffer', offer: { id, source: 'freepbx:main' } }),
  endOffer: (offerId: string, answered = false): Command => ({ type: 'endOffer', offerId, answered }),
  miss: (offerId: string): Command => ({ type: 'missOffer', offerId, source: 'freepbx:main' }),
  resume: (): Command => ({ type: 'resumeInterrupted', actor: ACTORS.pbx }),
  startShift: (statusId = 'active'): Command => ({ type: 'startShift', statusId, actor: ACTORS.user }),
  endShift: (): Command => ({ type: 'endShift', actor: ACTORS.user }),
  forceEndShift: (reason?: string, who: Who = 'supervisor'): Command => ({
    type: 'endShift',
    force: true,
    actor: ACTORS[who],
    ...(reason !== undefined ? { reason } : {}),
  }),
  endBy: (activityId: string, who: Who): Command => ({ type: 'endActivity', activityId, actor: ACTORS[who] }),
  replan: (statusId: string): Command => ({ type: 'replanOverage', statusId }),
  shiftAutoEnd: (shiftId: string): Command => ({ type: 'shiftAutoEnd', shiftId }),
  stale: (activityId: string, since: string): Command => ({ type: 'activityStale', activityId, since }),
  heartbeat: (): Command => ({ type: 'heartbeat' }),
  timeout: (lastSeen: string): Command => ({ type: 'connectionTimeout', lastSeen }),
  overageDue: (statusId: string, since: string): Command => ({ type: 'overageDue', statusId, since }),
  directory: (directory: Directory): Command => ({ type: 'upsertDirectory', directory }),
};

export interface Change {
  changed: boolean;
  next: UserState;
  events: DomainEvent[];
  timers: TimerRequest[];
}

/** decide() that must succeed. */
export function run(state: UserState, command: Command, seconds: number, env?: Env): Change {
  const result = decide(state, command, ctx(seconds, env));
  if (!result.ok) throw new Error(`unexpected ${result.error.code} for ${command.type}`);
  return result;
}

/** decide() that must refuse, leaving the state as it was. */
export function refuse(state: UserState, command: Command, seconds: number, env?: Env): DomainError {
  const before = structuredClone(state);
  const result = decide(state, command, ctx(seconds, env));
  if (result.ok) throw new Error(`expected ${command.type} to be refused`);
  expect(state).toEqual(before);
  return result.error;
}

/** decide() that must be a no-op: the same state object back, nothing else. */
export function expectNoop(state: UserState, command: Command, seconds: number, env?: Env): void {
  const result = run(state, command, seconds, env);
  expect(result).toEqual({ changed: false, next: state, events: [], timers: [], ok: true });
  expect(result.next).toBe(state);
}

/** The next state after a sequence of [command, seconds] steps, each of which must succeed. */
export function after(steps: Array<[Command, number]>, env?: Env, start: UserState = fresh()): UserState {
  return steps.reduce((state, [command, seconds]) => run(state, command, seconds, env).next, start);
}

export function types(events: DomainEvent[]): DomainEventType[] {
  return events.map((e) => e.type);
}

export function eventOf(events: DomainEvent[], type: DomainEventType): DomainEvent {
  const found = events.find((e) => e.type === type);
  if (!found) throw new Error(`no ${type} among ${types(events).join(', ')}`);
  return found;
}
