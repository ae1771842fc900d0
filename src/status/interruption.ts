/**
 * Phone-side interruptions: when the PBX selects a status (the agent pressed DND, switched the 3CX profile), the
 * state remembers the status it replaced, so the opposite phone-side change can go back to it ("DND off → back to
 * the status DND interrupted"). The memory lasts while the interrupting status is the current or the upcoming one;
 * any change that leaves it forgets it, so a stale memory can never pull the agent back later.
 *
 * A chain of phone-side changes (DND on, then a presence change) keeps the status before the first one: that is
 * the status the agent had chosen. Pure; decide() runs trackInterruption() after every command that changed state.
 */
import { NOOP, update, type Draft, type Step } from './draft.js';
import type { Command, Interruption, UserState } from './model.js';
import { selectStatus } from './select-status.js';

type ResumeInterrupted = Extract<Command, { type: 'resumeInterrupted' }>;

/** Is `i` still the interruption of the state's current or upcoming status? */
function isLive(state: UserState, i: Interruption | null | undefined): i is Interruption {
  return !!i && (state.status.id === i.by || state.upcoming?.id === i.by);
}

/** After a changing command: remember what a PBX selection replaced, or forget a memory that went stale. */
export function trackInterruption(d: Draft, command: Command, before: UserState): void {
  if (command.type === 'selectStatus' && command.actor === 'pbx') {
    const replaced = before.upcoming?.id ?? before.status.id;
    const chosen = d.state.upcoming?.id ?? d.state.status.id;
    if (chosen === command.statusId && replaced !== command.statusId) {
      const earlier = isLive(before, before.interrupted) ? before.interrupted.statusId : replaced;
      // Interrupting a status with itself is no interruption (a chain that came back to where it started).
      update(d, { interrupted: earlier === chosen ? null : { statusId: earlier, by: chosen } });
      return;
    }
  }
  if (d.state.interrupted && !isLive(d.state, d.state.interrupted)) update(d, { interrupted: null });
}

/** Back to the interrupted status (applied now, or upcoming while engaged); a no-op when nothing is remembered. */
export function resumeInterrupted(d: Draft, { actor }: ResumeInterrupted): Step {
  const interrupted = d.state.interrupted;
  if (!isLive(d.state, interrupted)) return NOOP;
  update(d, { interrupted: null });
  return selectStatus(d, { type: 'selectStatus', statusId: interrupted.statusId, actor });
}
