/**
 * The status catalogue as code, the pure half: what an export shows, and the diff between the catalogue in Redis and a
 * whole desired catalogue (PUT /v1/status-types, the `statusTypes:` section of the configuration). No I/O here; the
 * importer (catalog-import.ts) reads usage, decides refusals and writes through the store.
 *
 * Records are compared normalized: every field with its default filled in (queue handling as the PBX gets it) and
 * without version or timestamps, so an exported document imported again compares equal and writes nothing.
 * A type that changes is written whole (PUT semantics: a field the document leaves out takes the default POST
 * gives it). Queue handling the document states equal to its derived default is stored as "derived" unless the type
 * had pinned it, so re-importing an export does not freeze e.g. a pause reason that follows the name.
 */
import {
  defaultPbxPresence,
  defaultProductive,
  isBuiltIn,
  queueHandling,
  withQueueHandling,
  type QueueMode,
  type StatusType,
  type StatusTypeShown,
} from '../../status/index.js';
import type { ValidationIssue } from '../errors.js';
import { foldName, RESERVED_IDS, type StatusTypeInput } from './status-type-store.js';

/** One type as a catalogue document states it (parsed: POST's defaults applied, read-only fields removed). */
export type CatalogEntry = StatusTypeInput & { id: string };

/** Everything but what the store owns (version, timestamps) and what the import cannot set (builtIn). */
export type ExportedType = Omit<StatusTypeShown, 'version' | 'createdAt' | 'updatedAt'>;
type Normalized = Omit<ExportedType, 'builtIn'>;
type Content = Omit<StatusType, 'builtIn' | 'version' | 'createdAt' | 'updatedAt'>;

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

export interface CatalogPlan {
  /** Stored form of each new type (the store adds version and timestamps). */
  created: CatalogEntry[];
  changed: Array<{ current: StatusType; next: StatusType; fields: FieldChange[] }>;
  /** Types the document leaves out and that are not built in: to delete, unless refused. */
  deletions: StatusType[];
  unchanged: string[];
}

export function exportedType(type: StatusType, fallback?: QueueMode): ExportedType {
  const { version: _v, createdAt: _c, updatedAt: _u, ...rest } = withQueueHandling(type, fallback);
  return rest;
}

/**
 * Problems no write could fix: duplicate ids or names (case-insensitive, as the store folds them), reserved ids, and
 * a name held by a type that stays whatever the document says (a built-in it leaves out).
 */
export function catalogIssues(
  entries: readonly CatalogEntry[],
  staying: readonly Pick<StatusType, 'id' | 'name'>[] = [],
  path = 'statusTypes',
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const ids = new Map<string, number>();
  const names = new Map<string, string>(staying.map((t) => [foldName(t.name), `"${t.id}", which stays`]));
  entries.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    if (RESERVED_IDS.includes(entry.id))
      issues.push({ path: `${at}.id`, message: `"${entry.id}" is reserved` });
    const sameId = ids.get(entry.id);
    if (sameId !== undefined)
      issues.push({ path: `${at}.id`, message: `duplicate id "${entry.id}" (also ${path}[${sameId}])` });
    else ids.set(entry.id, i);
    const folded = foldName(entry.name);
    const holder = names.get(folded);
    if (holder !== undefined)
      issues.push({ path: `${at}.name`, message: `"${entry.name}" is also the name of ${holder}` });
    else names.set(folded, `${path}[${i}]`);
  });
  return issues;
}

/** Built-ins a document leaves out: they stay as they are. */
export function omittedBuiltIns(
  current: readonly StatusType[],
  entries: readonly CatalogEntry[],
): StatusType[] {
  const listed = new Set(entries.map((e) => e.id));
  return current.filter((t) => isBuiltInType(t) && !listed.has(t.id));
}

export function planCatalog(
  current: readonly StatusType[],
  entries: readonly CatalogEntry[],
  now: string,
  fallback?: QueueMode,
): CatalogPlan {
  const byId = new Map(current.map((t) => [t.id, t]));
  const listed = new Set(entries.map((e) => e.id));
  const plan: CatalogPlan = { created: [], changed: [], deletions: [], unchanged: [] };
  for (const entry of entries) {
    const existing = byId.get(entry.id);
    const content = storedContent(entry, existing, fallback);
    if (!existing) {
      plan.created.push({ ...content, id: entry.id });
      continue;
    }
    const fields = diffFields(normalized(existing, fallback), normalized(content, fallback));
    if (fields.length === 0) plan.unchanged.push(entry.id);
    else plan.changed.push({ current: existing, next: replaced(existing, content, now), fields });
  }
  for (const type of current) {
    if (listed.has(type.id)) continue;
    if (isBuiltInType(type)) plan.unchanged.push(type.id);
    else plan.deletions.push(type);
  }
  return plan;
}

function isBuiltInType(type: StatusType): boolean {
  return type.builtIn || isBuiltIn(type.id);
}

/** The entry as it would be stored: POST's derived defaults, queue handling kept derived where it equals them. */
function storedContent(entry: CatalogEntry, existing: StatusType | undefined, fallback?: QueueMode): Content {
  const { id, pbxPresence, productive, ...fields } = entry;
  const presence = structuredClone(pbxPresence ?? defaultPbxPresence(entry.callHandling));
  const content: Content = {
    id,
    ...fields,
    pbxPresence: presence,
    productive: productive ?? defaultProductive({ id, callHandling: entry.callHandling }),
  };
  const { queues, pauseReason, ...rest } = presence.freepbx;
  const derived = queueHandling(
    { ...asType(content), pbxPresence: { ...presence, freepbx: rest } },
    fallback,
  );
  const pinned = existing?.pbxPresence.freepbx;
  if (queues === derived.mode && pinned?.queues === undefined) delete presence.freepbx.queues;
  if (pauseReason === derived.reason && pinned?.pauseReason === undefined)
    delete presence.freepbx.pauseReason;
  return content;
}

function asType(content: Content): StatusType {
  return { ...content, builtIn: false, version: 0, createdAt: '', updatedAt: '' };
}

function normalized(type: Content, fallback?: QueueMode): Normalized {
  const { builtIn: _b, ...rest } = exportedType(asType(type), fallback);
  return rest;
}

/** The next stored record of a type: the document's content over what the store owns. */
function replaced(current: StatusType, content: Content, now: string): StatusType {
  return {
    ...content,
    id: current.id,
    builtIn: current.builtIn,
    version: current.version + 1,
    createdAt: current.createdAt,
    updatedAt: now,
  };
}

/** Leaf-by-leaf differences ("pbxPresence.freepbx.dnd"); a field one side lacks shows as null. */
export function diffFields(from: object, to: object): FieldChange[] {
  const a = flatten(from);
  const b = flatten(to);
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  return paths
    .filter((p) => a.get(p) !== b.get(p))
    .map((path) => ({ path, from: a.get(path) ?? null, to: b.get(path) ?? null }));
}

function flatten(value: object, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as object, path, out);
    else if (v !== undefined) out.set(path, v);
  }
  return out;
}

/** Parsed document entries without the read-only fields a client may echo back from a GET (they are ignored). */
export function catalogEntries<
  T extends CatalogEntry & { builtIn?: unknown; version?: unknown; createdAt?: unknown; updatedAt?: unknown },
>(parsed: readonly T[]): CatalogEntry[] {
  return parsed.map(({ builtIn: _b, version: _v, createdAt: _c, updatedAt: _u, ...entry }) => {
    const { warnings: _w, ...rest } = entry as typeof entry & { warnings?: unknown };
    return rest;
  });
}
