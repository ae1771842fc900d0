/**
 * The status-type catalog in Redis, shared by every daemon on the same Redis. Writes are guarded Lua scripts
 * (compare-and-set on the type's version); each successful write publishes on the catalog channel so other
 * daemons refresh their cached copy at once (see catalog-cache.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  builtInStatusTypes,
  defaultPbxPresence,
  defaultProductive,
  isBuiltIn,
  slugify,
  type StatusType,
} from '../../status/status-type.js';
import { ApiError } from '../errors.js';
import { execGrouped } from '../redis/cluster.js';
import type { Keys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

export type StatusTypeInput = Omit<
  StatusType,
  'id' | 'builtIn' | 'version' | 'createdAt' | 'updatedAt' | 'pbxPresence' | 'productive'
> & {
  id?: string | undefined;
  pbxPresence?: StatusType['pbxPresence'] | undefined;
  productive?: boolean | undefined;
};
export type StatusTypePatch = Partial<Omit<StatusTypeInput, 'id' | 'callHandling' | 'pbxPresence'>> & {
  callHandling?: Partial<StatusType['callHandling']> | undefined;
  pbxPresence?:
    | {
        freepbx?: Partial<StatusType['pbxPresence']['freepbx']> | undefined;
        '3cx'?: Partial<StatusType['pbxPresence']['3cx']> | undefined;
      }
    | undefined;
};

/** The answer to a write: the type, and non-fatal remarks (e.g. a color shared with another type). */
export interface WriteResult {
  statusType: StatusType;
  warnings: string[];
}

/** Ids that a route of their own would hide (GET /v1/status-types/export). */
export const RESERVED_IDS: readonly string[] = ['export'];

/** Names are unique after this folding (case-insensitive, compatibility-normalized). */
export const foldName = (name: string): string => name.normalize('NFKC').toLocaleLowerCase('en-US').trim();

const MAX_CAS_ATTEMPTS = 5;
/** How long a deleter's mark closes a partition before the catalog entry is gone; a dead deleter's expires. */
const PENDING_MARK_MS = 30_000;
/** Catalog edits needing work per user are rare; the outbox only has to outlive its dispatch. */
const CATALOG_OUTBOX_MAX_LEN = 1000;

/** Catalog outbox entry type: a type's allowedMinutes changed, so its users' overage must be re-planned. */
export const ALLOWANCE_CHANGED = 'status-type.allowance-changed';

/** The work per user an edit needs, written to the catalog outbox with it (see overage-replan.ts). */
function outboxWork(current: StatusType, next: StatusType, at: string) {
  if (current.allowedMinutes === next.allowedMinutes) return null;
  const data = { at, id: next.id, version: next.version, allowedMinutes: next.allowedMinutes };
  return { type: ALLOWANCE_CHANGED, data: { ...data, previous: current.allowedMinutes } };
}

export class StatusTypeStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: () => Date = () => new Date(),
    private readonly streamMaxLen = 100_000,
  ) {}

  async list(): Promise<StatusType[]> {
    const all = await this.redis.hvals(this.keys.statusTypes());
    return all.map(parseStatusType).sort(byBuiltInThenName);
  }

  async get(id: string): Promise<StatusType | null> {
    const json = await this.redis.hget(this.keys.statusTypes(), id);
    return json ? parseStatusType(json) : null;
  }

  async require(id: string): Promise<StatusType> {
    const found = await this.get(id);
    if (!found) throw new ApiError('STATUS_TYPE_NOT_FOUND', `no status type "${id}"`, { id });
    return found;
  }

  /** Seeds the built-ins that are missing; never overwrites an admin's edits. */
  async seedBuiltIns(): Promise<number> {
    let created = 0;
    for (const type of builtInStatusTypes(this.clock().toISOString())) {
      const result = await this.createRaw(type);
      if (result === 1) created += 1;
    }
    if (created > 0) await this.notify();
    return created;
  }

  /**
   * Seeds the built-ins (and runs `thenAlso`) when the seed marker is missing (first start, or Redis came back
   * empty; see seed-guard.ts), then writes the marker. One EXISTS when all is well.
   */
  async ensureSeeded(thenAlso?: () => Promise<unknown>): Promise<{ missingMarker: boolean; seeded: number }> {
    if ((await this.redis.exists(this.keys.catalogSeeded())) === 1)
      return { missingMarker: false, seeded: 0 };
    const seeded = await this.seedBuiltIns();
    // What else belongs to a seeded catalog (the configuration's catalogue); the marker only once it is done.
    await thenAlso?.();
    await this.redis.set(this.keys.catalogSeeded(), this.clock().toISOString());
    return { missingMarker: true, seeded };
  }

  async create(input: StatusTypeInput): Promise<WriteResult> {
    const id = input.id ?? slugify(input.name);
    if (!id) {
      throw new ApiError('VALIDATION_FAILED', 'the request is invalid', {
        issues: [
          { path: 'name', message: 'needs at least one letter or digit to derive an id; or give "id"' },
        ],
      });
    }
    if (RESERVED_IDS.includes(id)) {
      throw new ApiError('VALIDATION_FAILED', 'the request is invalid', {
        issues: [{ path: input.id === undefined ? 'name' : 'id', message: `the id "${id}" is reserved` }],
      });
    }
    const now = this.clock().toISOString();
    const { id: _given, ...fields } = input;
    const type: StatusType = {
      id,
      ...fields,
      builtIn: false,
      pbxPresence: input.pbxPresence ?? defaultPbxPresence(input.callHandling),
      productive: input.productive ?? defaultProductive({ id, callHandling: input.callHandling }),
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const result = await this.createRaw(type);
    if (result === -1) throw new ApiError('NAME_TAKEN', `a status type with id "${id}" exists`, { id });
    if (result === -2)
      throw new ApiError('NAME_TAKEN', `a status type named "${type.name}" exists`, { name: type.name });
    await this.reopenAll(id);
    await this.notify({ id, change: 'created', statusType: type });
    return { statusType: type, warnings: await this.colorWarnings(type) };
  }

  async update(id: string, patch: StatusTypePatch): Promise<WriteResult> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.require(id);
      const next = applyPatch(current, patch, this.clock().toISOString());
      const result = await this.writeUpdate(current, next);
      if (result === 1) {
        await this.notify({ id, change: 'updated', statusType: next });
        return { statusType: next, warnings: await this.colorWarnings(next) };
      }
      if (result === -2)
        throw new ApiError('NAME_TAKEN', `a status type named "${next.name}" exists`, { name: next.name });
      if (result === -4) throw new ApiError('STATUS_TYPE_NOT_FOUND', `no status type "${id}"`, { id });
    }
    throw new ApiError('VERSION_CONFLICT', `status type "${id}" kept changing; try again`, { id });
  }

  /**
   * Writes `next` (a whole record, version = current.version + 1) over `current` if it is still the stored version:
   * the same guarded script as update(), so an allowance change re-plans its users' overage. For the catalogue
   * import, which has diffed against `current` and must not apply its document over someone else's edit.
   */
  async replace(current: StatusType, next: StatusType): Promise<WriteResult> {
    const result = await this.writeUpdate(current, next);
    if (result === 1) {
      await this.notify({ id: next.id, change: 'updated', statusType: next });
      return { statusType: next, warnings: await this.colorWarnings(next) };
    }
    if (result === -2)
      throw new ApiError('NAME_TAKEN', `a status type named "${next.name}" exists`, { name: next.name });
    if (result === -4)
      throw new ApiError('STATUS_TYPE_NOT_FOUND', `no status type "${next.id}"`, { id: next.id });
    throw new ApiError('VERSION_CONFLICT', `status type "${next.id}" changed meanwhile; try again`, {
      id: next.id,
    });
  }

  /**
   * `configFields` lists the configuration fields that name the type (a type the daemon's configuration relies on
   * must stay). "In use" and the delete are one step with respect to selection, on one Redis and across daemons:
   * each partition in turn checks that none of its users is in the type or has it upcoming and, in the same script,
   * marks the type gone there; commitUser refuses to move anyone into a type marked gone. Only when every partition
   * is marked is the catalog entry deleted, and the marks are kept (a daemon whose cached catalog still lists the
   * type cannot bring a user into it). A refusal, or a deleter that dies, leaves no mark behind: its marks are
   * removed, or expire after PENDING_MARK_MS.
   */
  async delete(id: string, configFields: (id: string) => string[] = () => []): Promise<void> {
    const current = await this.require(id);
    if (current.builtIn || isBuiltIn(id))
      throw new ApiError('BUILT_IN', `"${current.name}" is built in and cannot be deleted`, { id });
    const fields = configFields(id);
    if (fields.length > 0) {
      throw new ApiError(
        'STATUS_TYPE_IN_USE',
        `the configuration names "${current.name}" (${fields.join(', ')})`,
        {
          id,
          field: fields[0],
          fields,
        },
      );
    }
    const token = randomUUID();
    const marked: number[] = [];
    const reopen = () => Promise.all(marked.map((p) => this.closeInPartition(p, id, 'reopen', token)));
    let users = 0;
    for (const p of this.keys.allPartitions()) {
      const result = Number(await this.closeInPartition(p, id, 'close', token));
      if (result === -1) {
        await reopen();
        throw new ApiError('VERSION_CONFLICT', `status type "${id}" is being deleted; try again`, { id });
      }
      if (result > 0) users += result;
      else marked.push(p);
    }
    if (users > 0) {
      await reopen();
      throw new ApiError(
        'STATUS_TYPE_IN_USE',
        `${users === 1 ? '1 user is' : `${users} users are`} in "${current.name}" or ${users === 1 ? 'has' : 'have'} it upcoming`,
        { id, users },
      );
    }
    const result = await runScript(
      this.redis,
      'deleteStatusType',
      [this.keys.statusTypes(), this.keys.statusTypeNames()],
      [id, current.version, foldName(current.name)],
    );
    if (result !== 1) {
      await reopen();
      if (result === -4) throw new ApiError('STATUS_TYPE_NOT_FOUND', `no status type "${id}"`, { id });
      throw new ApiError('VERSION_CONFLICT', `status type "${id}" changed meanwhile; try again`, { id });
    }
    await Promise.all(marked.map((p) => this.closeInPartition(p, id, 'seal', token)));
    await this.notify({ id, change: 'deleted' });
  }

  private closeInPartition(p: number, id: string, step: 'close' | 'seal' | 'reopen', token: string) {
    const k = this.keys;
    return runScript(
      this.redis,
      'closeStatusType',
      [k.inStatus(p, id), k.inUpcoming(p, id), k.typeGone(p, id)],
      [step, token, PENDING_MARK_MS],
    );
  }

  /** A type created under an id deleted before: users may enter it again. */
  private async reopenAll(id: string): Promise<void> {
    const marks = this.keys.allPartitions().map((p) => this.keys.typeGone(p, id));
    await execGrouped(
      this.redis,
      marks,
      (key) => key,
      (pipeline, key) => pipeline.del(key),
    );
  }

  /** updateStatusType-3.lua: compare-and-set on current.version, with the catalog outbox work the change needs. */
  private async writeUpdate(current: StatusType, next: StatusType): Promise<unknown> {
    const work = outboxWork(current, next, this.clock().toISOString());
    return runScript(
      this.redis,
      'updateStatusType',
      [this.keys.statusTypes(), this.keys.statusTypeNames(), this.keys.catalogOutbox()],
      [
        current.id,
        current.version,
        foldName(current.name),
        foldName(next.name),
        JSON.stringify(next),
        work?.type ?? '',
        work ? JSON.stringify(work.data) : '',
        CATALOG_OUTBOX_MAX_LEN,
      ],
    );
  }

  private async createRaw(type: StatusType): Promise<unknown> {
    return runScript(
      this.redis,
      'createStatusType',
      [this.keys.statusTypes(), this.keys.statusTypeNames()],
      [type.id, foldName(type.name), JSON.stringify(type)],
    );
  }

  private async colorWarnings(type: StatusType): Promise<string[]> {
    const others = (await this.list()).filter(
      (t) => t.id !== type.id && t.color.toUpperCase() === type.color.toUpperCase(),
    );
    return others.map((t) => `color ${type.color} is also used by "${t.name}"`);
  }

  /**
   * Tells other daemons to refresh and SSE clients what changed. Catalog events go to partition 0's stream; they
   * are written after the change itself, so a crash in between can lose the notice but never the change.
   */
  private async notify(change?: {
    id: string;
    change: 'created' | 'updated' | 'deleted';
    statusType?: StatusType;
  }): Promise<void> {
    await this.redis.publish(this.keys.catalogChannel(), String(Date.now()));
    if (!change) return;
    const data = JSON.stringify({ at: this.clock().toISOString(), ...change });
    // Also into partition 0's catalog index (agents' SSE resume), and the same wake-up every commit sends.
    await runScript(
      this.redis,
      'appendIndexedEvent',
      [this.keys.events(0), this.keys.catalogEvents()],
      ['status-type.changed', '', data, this.streamMaxLen, this.keys.eventsChannel(), 0],
    );
  }
}

/** Types stored before `productive` existed get its default. */
function parseStatusType(json: string): StatusType {
  const stored = JSON.parse(json) as Omit<StatusType, 'productive'> & { productive?: boolean };
  return { ...stored, productive: stored.productive ?? defaultProductive(stored) };
}

function applyPatch(current: StatusType, patch: StatusTypePatch, now: string): StatusType {
  return {
    ...current,
    ...definedOnly(patch),
    id: current.id,
    builtIn: current.builtIn,
    callHandling: { ...current.callHandling, ...definedOnly(patch.callHandling ?? {}) },
    pbxPresence: {
      freepbx: { ...current.pbxPresence.freepbx, ...definedOnly(patch.pbxPresence?.freepbx ?? {}) },
      '3cx': { ...current.pbxPresence['3cx'], ...definedOnly(patch.pbxPresence?.['3cx'] ?? {}) },
    },
    version: current.version + 1,
    createdAt: current.createdAt,
    updatedAt: now,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const BUILT_IN_ORDER = ['active', 'idle', 'on-break', 'offline'];

function byBuiltInThenName(a: StatusType, b: StatusType): number {
  const ai = BUILT_IN_ORDER.indexOf(a.id);
  const bi = BUILT_IN_ORDER.indexOf(b.id);
  if (ai !== -1 || bi !== -1) return (ai === -1 ? 99 : ai) - (bi === -1 ? 99 : bi);
  return a.name.localeCompare(b.name);
}
