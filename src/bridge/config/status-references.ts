/**
 * Status type ids the configuration names (`status.defaultOnShiftStart`, `status.missedOffers.statusId`, the values
 * of each `pbx[].presenceMap`).
 *
 * - Without Redis (check-config): the schema already refuses what can never be an id ("On Break"); here an id
 *   that is not a built-in is reported as a warning, because only the catalog in Redis can tell whether someone
 *   created it, with the built-in it most likely misspells ("on-brake" → "on-break").
 * - At daemon start (checkStatusReferences): every one must be in the catalog, or the daemon stops with an error
 *   naming each field.
 * - While running (fieldsNaming): a type the configuration names cannot be deleted (409 STATUS_TYPE_IN_USE with
 *   the fields in `details`).
 *
 * A new setting that names a status type is one more row in statusReferences().
 */
import { BUILT_IN_IDS, isBuiltIn, type Catalog } from '../../status/index.js';
import { RESUME_INTERRUPTED } from '../sync/presence-map.js';
import type { Config } from './schema.js';

export interface StatusReference {
  /** Where in the configuration, e.g. `status.defaultOnShiftStart`, `pbx[0].presenceMap["dnd:on"]`. */
  path: string;
  id: string;
}

export interface ConfigWarning {
  path: string;
  message: string;
}

export function statusReferences(config: Pick<Config, 'status' | 'pbx'>): StatusReference[] {
  const refs: StatusReference[] = [
    { path: 'status.defaultOnShiftStart', id: config.status.defaultOnShiftStart },
  ];
  const missed = config.status.missedOffers;
  if (missed) refs.push({ path: 'status.missedOffers.statusId', id: missed.statusId });
  config.pbx.forEach((pbx, i) => {
    for (const [fact, id] of Object.entries(pbx.presenceMap)) {
      if (id === RESUME_INTERRUPTED) continue; // "back to the interrupted status", not a type
      refs.push({ path: `pbx[${i}].presenceMap["${fact}"]`, id });
    }
  });
  return refs;
}

export function statusReferenceWarnings(config: Config): ConfigWarning[] {
  // A type the configuration's own statusTypes defines is certain to exist (the schema checks the rest).
  const defined = new Set(config.statusTypes?.map((t) => t.id));
  return statusReferences(config)
    .filter((ref) => !isBuiltIn(ref.id) && !defined.has(ref.id))
    .map(({ path, id }) => {
      const near = nearestBuiltIn(id);
      const hint = near ? `; did you mean the built-in "${near}"?` : '';
      return {
        path,
        message: `"${id}" is not a built-in status type; it must exist in the catalog, which is checked at start${hint}`,
      };
    });
}

/** The configuration fields naming status type `id`. */
export function fieldsNaming(refs: readonly StatusReference[], id: string): string[] {
  return refs.filter((r) => r.id === id).map((r) => r.path);
}

/** A start-up error naming every field whose status type is not in the catalog. */
export class MissingStatusTypesError extends Error {
  constructor(readonly missing: readonly StatusReference[]) {
    const list = missing.map((r) => `${r.path}: no status type "${r.id}"`).join('; ');
    super(
      `configuration names status types that do not exist (create them or fix the configuration): ${list}`,
    );
    this.name = 'MissingStatusTypesError';
  }
}

export function checkStatusReferences(refs: readonly StatusReference[], catalog: Catalog): void {
  const missing = refs.filter((r) => !catalog.has(r.id));
  if (missing.length > 0) throw new MissingStatusTypesError(missing);
}

/** The built-in at edit distance ≤ 2 (a typo), if there is exactly one nearest. */
function nearestBuiltIn(id: string): string | undefined {
  const scored = BUILT_IN_IDS.map((b) => ({ id: b, d: editDistance(id, b) })).filter((s) => s.d <= 2);
  scored.sort((a, b) => a.d - b.d);
  return scored.length === 1 || (scored[0] && scored[1] && scored[0].d < scored[1].d)
    ? scored[0]?.id
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
