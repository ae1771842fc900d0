/**
 * The visible side of a reverted phone-side change (issue: "phone-side changes are not silently reverted"): a
 * `pbx.change.reverted` event on the user's partition stream (SSE, resumable like every event) and a log line that
 * names the user, the change and why. Published by the sync job that wrote the setting back, so a late echo of an
 * earlier push (which finds the PBX already right) reports nothing. Not a state change: one
 * script appends it to the stream and to the user's event index.
 */
import type { Redis } from 'ioredis';
import type { PhonePresence } from '../../adapters/pbx.js';
import type { Logger } from 'pino';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

export type RevertReason = 'unmapped' | 'refused' | 'nothing-to-resume';

export interface RevertNotice {
  userId: string;
  connection: string;
  extension: string;
  /** The phone-side facts, as presenceMap keys (e.g. ["dnd:on"]). */
  change: string[];
  reason: RevertReason;
  /** For `refused`: the domain error code (STATUS_LIMIT_REACHED…). */
  code: string | null;
  /** The settings (ApplyResult.changed names) whose write-back is the revert: dnd, presence, queues. */
  settings: string[];
}

/** Which settings a sync writes to undo these phone-side facts. */
export function settingsOf(presence: PhonePresence): string[] {
  const settings: string[] = [];
  if (presence.dnd !== undefined) settings.push('dnd');
  if (presence.presence !== undefined) settings.push('presence');
  if (presence.queue !== undefined) settings.push('queues');
  return settings;
}

const WHY: Readonly<Record<RevertReason, string>> = {
  unmapped: "the connection's presenceMap has no entry for it",
  refused: 'the status it maps to was refused',
  'nothing-to-resume':
    'it asks to go back to an interrupted status, and no phone-side change interrupted one',
};

export class RevertNotices {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly streamMaxLen: number,
    private readonly log: Logger,
    private readonly clock: () => Date,
  ) {}

  async publish(notice: RevertNotice): Promise<void> {
    const { userId, connection, extension, change, reason, code } = notice;
    const message = `${change.join(', ')} on extension ${extension} is reverted: ${WHY[reason]}${code ? ` (${code})` : ''}`;
    this.log.warn({ userId, pbx: connection, extension, change, reason, code }, 'phone-side change reverted');
    const p = this.keys.partitionOf(userId);
    const data = JSON.stringify({
      at: this.clock().toISOString(),
      connection,
      extension,
      change,
      reason,
      code,
      message,
    });
    await runScript(
      this.redis,
      'appendIndexedEvent',
      [this.keys.events(p), this.keys.userEvents(userId)],
      ['pbx.change.reverted', userId, data, this.streamMaxLen, this.keys.eventsChannel(), p],
    );
  }
}
