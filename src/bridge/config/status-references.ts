/**
 * Status type ids the configuration names (`status.defaultOnShiftStart`, the values of each `pbx[].presenceMap`),
 * checked as far as possible without Redis: the schema already refuses what can never be an id ("On Break"); here
 * an id that is not a built-in is reported, because only the catalog in Redis can tell whether someone created it,
 * with the built-in it most likely misspells ("on-brake" → "on-break"). check-config prints these as warnings.
 */
import { BUILT_IN_IDS, isBuiltIn } from '../../status/index.js';
import { RESUME_INTERRUPTED } from '../sync/presence-map.js';
import type { Config } from './schema.js';

export interface StatusReference {
  path: string;
  id: string;
}

export interface ConfigWarning {
  path: string;
  message: string;
}

export function statusReferences(config: Config): StatusReference[] {
  const refs: StatusReference[] = [
    { path: 'status.defaultOnShiftStart', id: config.status.defaultOnShiftStart },
  ];
  config.pbx.forEach((pbx, i) => {
    for (const [fact, id] of Object.entries(pbx.presenceMap)) {
      if (id === RESUME_INTERRUPTED) continue; // "back to the interrupted status", not a type
      refs.push({ path: `pbx[${i}].presenceMap["${fact}"]`, id });
    }
  });
  return refs;
}

export function statusReferenceWarnings(config: Config): ConfigWarning[] {
  return statusReferences(config)
    .filter((ref) => !isBuiltIn(ref.id))
    .map(({ path, id }) => {
      const near = nearestBuiltIn(id);
      const hint = near ? `; did you mean the built-in "${near}"?` : '';
      return {
        path,
        message: `"${id}" is not a built-in status type; it must exist in the catalog, which is checked at start${hint}`,
      };
    });
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
