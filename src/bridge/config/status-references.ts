/**
 * Status type ids named in the configuration (issue: "configuration references hold"). At start every one must
 * be in the catalog, or the daemon stops with an error naming each field; and a type that configuration names
 * cannot be deleted (409 STATUS_TYPE_IN_USE with the fields in `details`). A new setting that names a status
 * type is one more row in statusReferences().
 */
import type { Catalog } from '../../status/index.js';
import type { Config } from './schema.js';

export interface StatusReference {
  /** Where in the configuration, e.g. "status.defaultOnShiftStart", "pbx[0].presenceMap.dnd:on". */
  field: string;
  statusId: string;
}

export function statusReferences(config: Pick<Config, 'status' | 'pbx'>): StatusReference[] {
  const refs: StatusReference[] = [
    { field: 'status.defaultOnShiftStart', statusId: config.status.defaultOnShiftStart },
  ];
  config.pbx.forEach((pbx, i) => {
    for (const [fact, statusId] of Object.entries(pbx.presenceMap)) {
      refs.push({ field: `pbx[${i}].presenceMap.${fact}`, statusId });
    }
  });
  return refs;
}

/** The fields naming `statusId`. */
export function fieldsNaming(refs: readonly StatusReference[], statusId: string): string[] {
  return refs.filter((r) => r.statusId === statusId).map((r) => r.field);
}

/** A start-up error naming every field whose status type is not in the catalog. */
export class MissingStatusTypesError extends Error {
  constructor(readonly missing: readonly StatusReference[]) {
    const list = missing.map((r) => `${r.field}: no status type "${r.statusId}"`).join('; ');
    super(
      `configuration names status types that do not exist (create them or fix the configuration): ${list}`,
    );
    this.name = 'MissingStatusTypesError';
  }
}

export function checkStatusReferences(refs: readonly StatusReference[], catalog: Catalog): void {
  const missing = refs.filter((r) => !catalog.has(r.statusId));
  if (missing.length > 0) throw new MissingStatusTypesError(missing);
}
