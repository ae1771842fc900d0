/**
 * The status catalogue as code, the effectful half: export, and import of a whole catalogue (PUT /v1/status-types,
 * the `statusTypes:` section of the configuration at start).
 *
 * An import is checked whole before anything is written: the document (ids, names), then each delete (built-ins are
 * never deleted; a type the configuration names, or that a user is in or has upcoming, is refused). A refused delete
 * refuses the whole import unless `keepRefused` (then the type stays and the rest applies). Writes go through the
 * store one type at a time (deletes through its delete, changes through the guarded update script, so an allowance
 * change re-plans overage); they are not one transaction. Deletes go first, so a delete refused at the last moment
 * (a user selected the type meanwhile) stops the import before any type is created or changed; a failure stops at
 * that type and reports what was written before it (details.done). Every step is idempotent: sending the same
 * document again finishes the job. Types that compare equal are not written: no version bump, no event.
 */
import type { Logger } from 'pino';
import type { QueueMode, StatusType } from '../../status/index.js';
import { ApiError, validationFailed } from '../errors.js';
import {
  catalogIssues,
  exportedType,
  omittedBuiltIns,
  planCatalog,
  type CatalogEntry,
  type CatalogPlan,
  type ExportedType,
  type FieldChange,
} from './catalog-plan.js';
import { foldName, type StatusTypeStore } from './status-type-store.js';

export interface CatalogImportDeps {
  store: StatusTypeStore;
  /** Users in the type or with it upcoming. */
  usage: (id: string) => Promise<number>;
  /** The configuration fields naming the type. */
  configFields: (id: string) => string[];
  /** The deprecated global `sync.queueMode` (it changes the queue handling shown). */
  queueModeFallback?: QueueMode | undefined;
  clock?: () => Date;
}

export interface ImportOptions {
  dryRun?: boolean;
  keepRefused?: boolean;
}

interface Named {
  id: string;
  name: string;
}

export interface Refusal extends Named {
  code: 'STATUS_TYPE_IN_USE';
  message: string;
  details: Record<string, unknown>;
}

/** The answer to an import: the diff, and whether it was written. */
export interface CatalogReport {
  dryRun: boolean;
  applied: boolean;
  created: Named[];
  changed: Array<Named & { fields: FieldChange[] }>;
  deleted: Named[];
  refused: Refusal[];
  unchanged: string[];
  warnings: string[];
}

const named = (t: Named): Named => ({ id: t.id, name: t.name });

export class CatalogImporter {
  constructor(private readonly deps: CatalogImportDeps) {}

  async export(): Promise<ExportedType[]> {
    return (await this.deps.store.list()).map((t) => exportedType(t, this.deps.queueModeFallback));
  }

  async import(entries: readonly CatalogEntry[], options: ImportOptions = {}): Promise<CatalogReport> {
    const current = await this.deps.store.list();
    const issues = catalogIssues(entries, omittedBuiltIns(current, entries));
    if (issues.length > 0) throw validationFailed(issues);
    const now = (this.deps.clock ?? (() => new Date()))().toISOString();
    const plan = planCatalog(current, entries, now, this.deps.queueModeFallback);
    const refused = await this.refusals(plan.deletions);
    const report = reportOf(plan, refused, entries, current, options.dryRun === true);
    if (refused.length > 0 && options.keepRefused) assertNamesFree(entries, refused);
    if (options.dryRun) return report;
    if (refused.length > 0 && !options.keepRefused) {
      throw new ApiError(
        'STATUS_TYPE_IN_USE',
        `${refused.length} type(s) the document leaves out cannot be deleted (${refused.map((r) => r.id).join(', ')}); nothing was changed`,
        { ...report },
      );
    }
    await this.apply(plan, new Set(refused.map((r) => r.id)));
    const applied = report.created.length + report.changed.length + report.deleted.length > 0;
    return { ...report, applied };
  }

  private async refusals(deletions: readonly StatusType[]): Promise<Refusal[]> {
    const refused: Refusal[] = [];
    for (const type of deletions) {
      const fields = this.deps.configFields(type.id);
      if (fields.length > 0) {
        const message = `the configuration names "${type.name}" (${fields.join(', ')})`;
        refused.push({ ...refusal(type, message), details: { id: type.id, field: fields[0], fields } });
        continue;
      }
      const users = await this.deps.usage(type.id);
      if (users > 0) {
        const message = `${users === 1 ? '1 user is' : `${users} users are`} in "${type.name}" or ${users === 1 ? 'has' : 'have'} it upcoming`;
        refused.push({ ...refusal(type, message), details: { id: type.id, users } });
      }
    }
    return refused;
  }

  private async apply(plan: CatalogPlan, refused: ReadonlySet<string>): Promise<void> {
    const done: Done = { deleted: [], changed: [], created: [] };
    const step = async (kind: keyof Done | null, id: string, write: () => Promise<unknown>) => {
      try {
        await write();
        if (kind) done[kind].push(id);
      } catch (err) {
        throw stoppedAt(err, id, done);
      }
    };
    const { store, configFields } = this.deps;
    for (const type of plan.deletions) {
      if (!refused.has(type.id)) await step('deleted', type.id, () => store.delete(type.id, configFields));
    }
    // Renames in an order the name index accepts: a type takes a name only once its holder has moved off it. A
    // cycle (A↔B) is broken by moving one type aside under a temporary name; it is finished when its name is free.
    const pending = plan.changed.map(({ current, next }) => ({ current, next }));
    while (pending.length > 0) {
      const holders = new Map(pending.map((c) => [foldName(c.current.name), c.current.id]));
      const free = pending.findIndex(
        (c) => (holders.get(foldName(c.next.name)) ?? c.current.id) === c.current.id,
      );
      const first = pending[0] as (typeof pending)[number];
      if (free === -1) {
        const aside = { ...first.current, name: `~${first.current.id}`, version: first.current.version + 1 };
        await step(null, aside.id, () => store.replace(first.current, aside));
        pending[0] = { current: aside, next: { ...first.next, version: aside.version + 1 } };
        continue;
      }
      const [change] = pending.splice(free, 1) as [(typeof pending)[number]];
      await step('changed', change.current.id, () => store.replace(change.current, change.next));
    }
    for (const entry of plan.created) await step('created', entry.id, () => store.create(entry));
  }
}

type Done = Record<'deleted' | 'changed' | 'created', string[]>;

function refusal(type: StatusType, message: string): Omit<Refusal, 'details'> {
  return { ...named(type), code: 'STATUS_TYPE_IN_USE', message };
}

function reportOf(
  plan: CatalogPlan,
  refused: Refusal[],
  entries: readonly CatalogEntry[],
  current: readonly StatusType[],
  dryRun: boolean,
): CatalogReport {
  const refusedIds = new Set(refused.map((r) => r.id));
  const staying = [
    ...omittedBuiltIns(current, entries),
    ...plan.deletions.filter((t) => refusedIds.has(t.id)),
  ];
  return {
    dryRun,
    applied: false,
    created: plan.created.map(named),
    changed: plan.changed.map(({ next, fields }) => ({ ...named(next), fields })),
    deleted: plan.deletions.filter((t) => !refusedIds.has(t.id)).map(named),
    refused,
    unchanged: plan.unchanged,
    warnings: sharedColors([...entries, ...staying]),
  };
}

/** The warning POST gives for a color another type has, once per color of the resulting catalogue. */
function sharedColors(types: ReadonlyArray<{ name: string; color: string }>): string[] {
  const byColor = new Map<string, string[]>();
  for (const t of types)
    byColor.set(t.color.toUpperCase(), [...(byColor.get(t.color.toUpperCase()) ?? []), t.name]);
  return [...byColor]
    .filter(([, names]) => names.length > 1)
    .map(([color, names]) => `color ${color} is used by ${names.map((n) => `"${n}"`).join(', ')}`);
}

/** A type kept because its delete was refused keeps its name: nothing may take it. */
function assertNamesFree(entries: readonly CatalogEntry[], refused: readonly Refusal[]): void {
  const kept = new Map(refused.map((r) => [foldName(r.name), r]));
  const clash = entries.find((e) => kept.has(foldName(e.name)) && kept.get(foldName(e.name))?.id !== e.id);
  if (clash) {
    const holder = kept.get(foldName(clash.name)) as Refusal;
    throw new ApiError(
      'NAME_TAKEN',
      `"${clash.name}" is the name of "${holder.id}", which stays because its delete is refused; nothing was changed`,
      { id: clash.id, name: clash.name, heldBy: holder.id },
    );
  }
}

/** A write failed mid-way: the same code, with what was written before it. */
function stoppedAt(err: unknown, id: string, done: Record<string, string[]>): unknown {
  if (!(err instanceof ApiError)) return err;
  const message = `${err.message}; the import stopped at "${id}" (what was written before it stays, see details.done; send the document again to finish)`;
  return new ApiError(err.code, message, { ...err.details, id, done });
}

/** Attempts at start when another daemon applies the same catalogue at the same moment (409: someone else wrote). */
const START_ATTEMPTS = 3;

/**
 * The configuration's `statusTypes:` at start, like PUT with keepRefused: a delete refused (a user is in the type or
 * has it upcoming) is logged and the type stays, the rest applies, and the daemon starts. A document the catalogue
 * cannot take (a name a built-in it leaves out holds) is a configuration error and stops the start. Other conflicts
 * (several daemons applying at once) are retried, then logged: the catalogue stays as it is.
 */
export async function applyConfiguredCatalog(
  importer: CatalogImporter,
  entries: readonly CatalogEntry[],
  log: Logger,
): Promise<CatalogReport | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      const report = await importer.import(entries, { keepRefused: true });
      logReport(report, log);
      return report;
    } catch (err) {
      if (!(err instanceof ApiError) || err.code === 'VALIDATION_FAILED') {
        if (err instanceof ApiError) throw new ConfiguredCatalogError(err.details?.issues);
        throw err;
      }
      if (err.statusCode === 409 && attempt < START_ATTEMPTS) continue;
      log.error(
        { code: err.code, details: err.details, reason: err.message },
        'configuration statusTypes not applied: the catalogue stays as it was',
      );
      return null;
    }
  }
}

function logReport(report: CatalogReport, log: Logger): void {
  for (const r of report.refused) {
    log.warn(
      { id: r.id, code: r.code, ...r.details, reason: r.message },
      'configuration statusTypes leaves out a type that cannot be deleted: it stays',
    );
  }
  const counts = { created: report.created, changed: report.changed, deleted: report.deleted };
  if (report.applied) {
    log.info(
      Object.fromEntries(Object.entries(counts).map(([k, list]) => [k, list.map((t) => t.id)])),
      'configuration statusTypes applied',
    );
  }
}

/** statusTypes the catalogue cannot take: a configuration error, each problem with its path. */
export class ConfiguredCatalogError extends Error {
  constructor(issues: unknown) {
    const list = Array.isArray(issues)
      ? (issues as Array<{ path: string; message: string }>).map((i) => `${i.path}: ${i.message}`).join('; ')
      : 'invalid';
    super(`configuration statusTypes cannot be applied: ${list}`);
    this.name = 'ConfiguredCatalogError';
  }
}
