/**
 * Queue login / logout / pause for one extension (reference §4 "Queue pause", §5; checked against Asterisk's
 * apps/app_queue.c).
 *
 * Read, compare, change only what differs: per queue, `QueueStatus` filtered by our member interface tells whether
 * the member exists, is paused (`Paused`, `PausedReason`: QueueStatus has no pre-18 `Reason`) and can be removed
 * (`Membership: dynamic`); a pure planner picks at most one write. Rules that keep a waiting caller from slipping
 * through to an agent who is not available:
 * - logging in straight into a paused status is one `QueueAdd Paused=true Reason=…`, never add-then-pause;
 * - a new reason re-pauses directly (`QueuePause Paused=true`), never unpause-then-pause;
 * - a static (or realtime) member cannot be removed (`Member not dynamic`): it is paused with the reason instead.
 * "Already there" / "Not there" answers (a race with *45 or another writer) count as success.
 *
 * The member state is remembered per queue (fact-cache.ts `member:<queue>`); queues are read and written in parallel.
 */
import { PbxError, type DesiredSettings } from '../pbx.js';
import { errorSays, requireSuccess, toPbxError } from './ami-errors.js';
import { clean, eventName, field, isSuccess } from './ami-message.js';
import { dbGet, KEYS, setDeviceStates } from './astdb.js';
import type { ApplyContext } from './apply-context.js';
import type { MemberState } from './fact-cache.js';
import { allSettled } from './pipeline.js';
import { truncateUtf8 } from './presence-value.js';

export type { MemberState };

export type QueueWrite = 'add' | 'addPaused' | 'unpause' | 'remove' | 'pause';

type QueueWish = DesiredSettings['queues'];

/** The one write (or none) that makes `member` match `want`. */
export function planQueue(member: MemberState | null, want: QueueWish): QueueWrite | null {
  if (want.loggedIn) return !member ? 'add' : member.paused ? 'unpause' : null;
  if (!member) return want.mode === 'pause' ? 'addPaused' : null;
  if (want.mode === 'logout' && member.removable) return 'remove';
  return member.paused && member.reason === pauseReason(want) ? null : 'pause';
}

/** Syncs every queue of the target; true when anything was written. */
export async function syncQueues(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  const written = await allSettled(ctx.target.queues.map((queue) => syncQueue(ctx, queue, desired.queues)));
  return written.some(Boolean);
}

async function syncQueue(ctx: ApplyContext, queue: string, want: QueueWish): Promise<boolean> {
  const member = await ctx.facts.read(memberKey(queue), () => readMember(ctx, queue));
  const write = planQueue(member, want);
  if (!write) return false;
  await WRITES[write](ctx, queue, want, member);
  return true;
}

const memberKey = (queue: string): `member:${string}` => `member:${queue}`;

async function readMember(ctx: ApplyContext, queue: string): Promise<MemberState | null> {
  const iface = ctx.memberInterface;
  const { response, items } = await ctx.ami.list(
    { Action: 'QueueStatus', Queue: queue, Member: iface },
    'QueueStatusComplete',
  );
  if (!isSuccess(response)) throw toPbxError(response, `QueueStatus ${queue}`);
  // QueueMember uses Name/Location, not MemberName/Interface (reference §5)
  const hit = items.find(
    (m) =>
      eventName(m) === 'queuemember' &&
      field(m, 'queue') === queue &&
      field(m, 'location').toLowerCase() === iface.toLowerCase(),
  );
  if (!hit) return null;
  const membership = field(hit, 'membership').toLowerCase();
  const paused = field(hit, 'paused') === '1';
  return {
    paused,
    reason: paused ? field(hit, 'pausedreason') : '', // app_queue clears it on unpause; compared only when paused
    removable: membership === '' || membership === 'dynamic',
  };
}

type Write = (ctx: ApplyContext, queue: string, want: QueueWish, member: MemberState | null) => Promise<void>;

/** Each write remembers the member state it sets (fact-cache.ts); a failure forgets it. */
const WRITES: Readonly<Record<QueueWrite, Write>> = {
  add: (ctx, queue) =>
    ctx.write(memberKey(queue), { paused: false, reason: '', removable: true }, () =>
      addMember(ctx, queue, null),
    ),
  addPaused: (ctx, queue, want) =>
    ctx.write(memberKey(queue), { paused: true, reason: pauseReason(want), removable: true }, () =>
      addMember(ctx, queue, pauseReason(want)),
    ),
  unpause: (ctx, queue, _want, member) =>
    ctx.write(memberKey(queue), { paused: false, reason: '', removable: member?.removable ?? true }, () =>
      pause(ctx, queue, false, ''),
    ),
  remove: removeMember,
  pause: (ctx, queue, want, member) => pauseWith(ctx, queue, pauseReason(want), member?.removable ?? true),
};

function pauseWith(ctx: ApplyContext, queue: string, reason: string, removable: boolean): Promise<void> {
  return ctx.write(memberKey(queue), { paused: true, reason, removable }, () =>
    pause(ctx, queue, true, reason),
  );
}

/**
 * QueueAdd as FreePBX's *45 does it: penalty from QPENALTY, no state interface when `ignorestate`. `pausedWith`: add
 * paused with that reason in the same action. QueueAdd's `Reason` exists since Asterisk 20.12 / 21.7 / 22.2 / 23
 * (app_queue commit "allow dynamically adding a queue member in paused state"); older versions ignore it and add the
 * member paused without a reason, so the reason is read back and set by re-pausing (the member never takes a call).
 */
async function addMember(ctx: ApplyContext, queue: string, pausedWith: string | null): Promise<void> {
  const { ami, extension, facts } = ctx;
  const [penalty, noState] = await allSettled([
    facts.read(
      `penalty:${queue}`,
      async () => (await dbGet(ami, KEYS.queuePenalty(queue, extension))) || '0',
    ),
    facts.read(
      'queueNoState',
      async () => (await dbGet(ami, KEYS.queueNoState(extension))) === 'ignorestate',
    ),
  ]);
  const res = await ctx.ami.send({
    Action: 'QueueAdd',
    Queue: queue,
    Interface: ctx.memberInterface,
    ...(noState ? {} : { StateInterface: ctx.stateInterface }),
    MemberName: ctx.displayName,
    Penalty: penalty,
    Paused: pausedWith === null ? 'false' : 'true',
    ...(pausedWith ? { Reason: pausedWith } : {}),
  });
  requireSuccess(res, `QueueAdd ${queue}`, ['Already there']);
  const already = !isSuccess(res); // an existing member, maybe paused otherwise: not what was remembered
  if (already) facts.forget(memberKey(queue));
  await setQueueBlf(ctx, queue, 'INUSE');
  if (pausedWith === null) return;
  const added = await readMember(ctx, queue); // also covers "Already there": an existing member, maybe unpaused
  if (added && !(added.paused && added.reason === pausedWith))
    return pauseWith(ctx, queue, pausedWith, added.removable);
  facts.expect(memberKey(queue), added);
}

/** Logout; a member that turns out not to be removable ("Member not dynamic") is paused instead. */
async function removeMember(ctx: ApplyContext, queue: string, want: QueueWish): Promise<void> {
  let notDynamic = false;
  await ctx.write(memberKey(queue), null, async () => {
    const res = await ctx.ami.send({ Action: 'QueueRemove', Queue: queue, Interface: ctx.memberInterface });
    notDynamic = errorSays(res, 'Member not dynamic');
    if (!notDynamic) requireSuccess(res, `QueueRemove ${queue}`, ['Not there']);
  });
  if (notDynamic) return pauseWith(ctx, queue, pauseReason(want), false);
  await setQueueBlf(ctx, queue, 'NOT_INUSE');
}

async function pause(ctx: ApplyContext, queue: string, paused: boolean, reason: string): Promise<void> {
  const res = await ctx.ami.send({
    Action: 'QueuePause',
    Queue: queue,
    Interface: ctx.memberInterface,
    Paused: String(paused),
    ...(paused && reason ? { Reason: reason } : {}),
  });
  if (!paused && errorSays(res, 'Interface not found')) {
    // removed between our read and this write: the next sync re-reads and adds it
    throw new PbxError('PBX_UNAVAILABLE', `queue ${queue}: member vanished while unpausing`);
  }
  requireSuccess(res, `QueuePause ${queue}`, paused ? ['Interface not found'] : []);
  if (!isSuccess(res)) ctx.facts.forget(memberKey(queue)); // not a member after all
}

/** FreePBX's *45 BLF: DEVICE_STATE(Custom:QUEUE<dev>*<queue>) per device (reference §5). */
async function setQueueBlf(ctx: ApplyContext, queue: string, state: string): Promise<void> {
  const devices = (await ctx.devices()).map((dev) => `Custom:QUEUE${dev}*${queue}`);
  await setDeviceStates(ctx.ami, devices, state);
}

/** app_queue keeps the reason in an 80-byte buffer; cut it so the read-back compares equal. */
function pauseReason(want: QueueWish): string {
  return truncateUtf8(clean(want.reason).trim(), 79);
}
