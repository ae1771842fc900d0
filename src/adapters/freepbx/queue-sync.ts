/**
 * Queue login / logout / pause for one extension (reference §4 "Queue pause", §5).
 *
 * Read, compare, change only what differs: per queue, `QueueStatus` filtered by our member interface
 * tells whether the member exists and is paused; a pure planner picks at most one write. "Already
 * there" / "Not there" answers (a race with *45 or another writer) count as success.
 */
import { PbxError, type DesiredSettings } from '../pbx.js';
import { errorSays, requireSuccess, toPbxError } from './ami-errors.js';
import { clean, eventName, field, isSuccess } from './ami-message.js';
import { dbGet, KEYS, setDeviceStates } from './astdb.js';
import type { ApplyContext } from './apply-context.js';
import { truncateUtf8 } from './presence-value.js';

/** What QueueStatus says about our member in one queue (null: not a member). */
export interface MemberState {
  paused: boolean;
  reason: string;
}

export type QueueWrite = 'add' | 'unpause' | 'remove' | 'pause';

type QueueWish = DesiredSettings['queues'];

/** The one write (or none) that makes `member` match `want`. */
export function planQueue(member: MemberState | null, want: QueueWish): QueueWrite | null {
  if (want.loggedIn) return !member ? 'add' : member.paused ? 'unpause' : null;
  if (!member) return null; // logged out already satisfies "logout" and "pause": no calls either way
  if (want.mode === 'logout') return 'remove';
  return member.paused && member.reason === pauseReason(want) ? null : 'pause';
}

/** Syncs every queue of the target; true when anything was written. */
export async function syncQueues(ctx: ApplyContext, desired: DesiredSettings): Promise<boolean> {
  let changed = false;
  for (const queue of ctx.target.queues) {
    const write = planQueue(await readMember(ctx, queue), desired.queues);
    if (!write) continue;
    await WRITES[write](ctx, queue, desired.queues);
    changed = true;
  }
  return changed;
}

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
  return hit ? { paused: field(hit, 'paused') === '1', reason: field(hit, 'pausedreason') } : null;
}

const WRITES: Readonly<
  Record<QueueWrite, (ctx: ApplyContext, queue: string, want: QueueWish) => Promise<void>>
> = {
  add: addMember,
  unpause: (ctx, queue) => pause(ctx, queue, false, ''),
  remove: removeMember,
  pause: (ctx, queue, want) => pause(ctx, queue, true, pauseReason(want)),
};

/** QueueAdd as FreePBX's *45 does it: penalty from QPENALTY, no state interface when `ignorestate`. */
async function addMember(ctx: ApplyContext, queue: string): Promise<void> {
  const penalty = (await dbGet(ctx.ami, KEYS.queuePenalty(queue, ctx.extension))) || '0';
  const noState = (await dbGet(ctx.ami, KEYS.queueNoState(ctx.extension))) === 'ignorestate';
  const res = await ctx.ami.send({
    Action: 'QueueAdd',
    Queue: queue,
    Interface: ctx.memberInterface,
    ...(noState ? {} : { StateInterface: ctx.stateInterface }),
    MemberName: ctx.displayName,
    Penalty: penalty,
    Paused: 'false',
  });
  requireSuccess(res, `QueueAdd ${queue}`, ['Already there']);
  await setQueueBlf(ctx, queue, 'INUSE');
}

async function removeMember(ctx: ApplyContext, queue: string): Promise<void> {
  const res = await ctx.ami.send({ Action: 'QueueRemove', Queue: queue, Interface: ctx.memberInterface });
  requireSuccess(res, `QueueRemove ${queue}`, ['Not there']);
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
