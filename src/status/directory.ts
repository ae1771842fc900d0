/** upsertDirectory: the user's directory entry (name, extension, queues, wrap-up override). */
import { CHANGED, NOOP, emit, update, type Draft, type Step } from './draft.js';
import type { Command, Directory } from './model.js';

type UpsertDirectory = Extract<Command, { type: 'upsertDirectory' }>;

export function upsertDirectory(d: Draft, { directory }: UpsertDirectory): Step {
  if (sameDirectory(d.state.directory, directory)) return NOOP;
  update(d, { directory });
  emit(d, 'user.directory.changed', { directory });
  return CHANGED;
}

/** Field by field, so key order in the incoming JSON does not matter; queue order does. */
function sameDirectory(a: Directory, b: Directory): boolean {
  return (
    a.displayName === b.displayName &&
    a.pbx?.connection === b.pbx?.connection &&
    a.pbx?.extension === b.pbx?.extension &&
    a.mobile === b.mobile &&
    a.wrapUpSeconds === b.wrapUpSeconds &&
    a.queues.length === b.queues.length &&
    a.queues.every((q, i) => q === b.queues[i])
  );
}
