/**
 * Lookups in id-keyed plain records (stored as JSON, e.g. a shift's usage per status type id) that see only the
 * record's own keys: `record[id]` for the id "constructor" (a type named "Constructor") or "toString" would
 * otherwise return Object.prototype's function, and `?? 0` would not catch it.
 */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
