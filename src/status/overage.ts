/**
 * Overage: the `overage:` timer set when a status with allowedMinutes is entered fires here. It names
 * the stay it was set for (statusId + since); any other stay makes it stale. The allowance is read from
 * the catalog as it is now: removed meanwhile → nothing happens; changed → the new value is recorded
 * (the firing time itself was fixed at entry, so a raised allowance is not re-armed: known limit).
 */
import { CHANGED, NOOP, emit, update, type Draft, type Step } from './draft.js';
import type { Command } from './model.js';

type OverageDue = Extract<Command, { type: 'overageDue' }>;

export function overageDue(d: Draft, { statusId, since }: OverageDue): Step {
  const { status, overage } = d.state;
  if (status.id !== statusId || status.since !== since || overage) return NOOP;
  const allowedMinutes = d.ctx.catalog.get(statusId)?.allowedMinutes ?? null;
  if (allowedMinutes === null) return NOOP;
  // Overage starts when the allowance ran out, not when the timer got to run: a late timer (daemon down,
  // queue backlog) must not shorten the overage that supervisors see and that the span records.
  const exceededAt = new Date(Date.parse(since) + allowedMinutes * 60_000).toISOString();
  if (exceededAt > d.ctx.now) return NOOP; // allowance raised after entry: not over yet
  const started = { since: exceededAt, allowedMinutes };
  update(d, { overage: started });
  emit(d, 'user.overage.started', { statusId, ...started });
  return CHANGED;
}
