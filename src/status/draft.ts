/**
 * A draft is the working copy one decide() call builds: the next state plus the events and timers the
 * change causes. Handlers replace `state` (never mutate it) and append to the lists; the draft itself is
 * created per call and thrown away on error, so decide() stays pure as seen from outside.
 */
import type { Actor } from './actor.js';
import type { DecideContext } from './context.js';
import type { Command, DomainEventType, DomainEvent, TimerRequest, UserState } from './model.js';
import type { DomainError } from './errors.js';
import { timerKey, type TimerKind } from './timers.js';

export interface Draft {
  readonly ctx: DecideContext;
  /** Who issued the command: recorded on every event and on a status it enters. */
  readonly actor: Actor;
  state: UserState;
  readonly events: DomainEvent[];
  readonly timers: TimerRequest[];
}

export function startDraft(state: UserState, ctx: DecideContext, actor: Actor): Draft {
  return { ctx, actor, state, events: [], timers: [] };
}

export function update(d: Draft, patch: Partial<UserState>): void {
  d.state = { ...d.state, ...patch };
}

export function emit(d: Draft, type: DomainEventType, data: Record<string, unknown>): void {
  d.events.push({ type, userId: d.state.id, at: d.ctx.now, actor: d.actor, data });
}

export function schedule(d: Draft, kind: TimerKind, dueAt: string, command: Command): void {
  d.timers.push({ key: timerKey(kind, d.state.id), dueAt, command });
}

/** What a command handler reports: refused (the draft is discarded), nothing to do, or a change. */
export type Step = DomainError | 'noop' | 'changed';
export const NOOP = 'noop' satisfies Step;
export const CHANGED = 'changed' satisfies Step;
