/**
 * One outbox entry as the SSE layer sees it. The commit script writes every entry with the fields `type`,
 * `user` ('' for events not about one user) and `data` (JSON `{at, ...}`); XREAD and XRANGE return them as a
 * flat field/value list, parsed here once so every subscriber shares the same object.
 */

export interface StreamEntry {
  partition: number;
  /** Redis stream id, "<ms>-<seq>". */
  id: string;
  type: string;
  /** '' for events not about one user (status-type.changed, pbx.connection.changed). */
  userId: string;
  /** The parsed `data` field; null when it is missing or not a JSON object (such an entry is never sent). */
  data: Record<string, unknown> | null;
}

/** Raw stream entry as ioredis returns it: [id, [field, value, field, value, ...]]. */
export type RawStreamEntry = [id: string, fields: string[]];

export function parseStreamEntry(partition: number, [id, fields]: RawStreamEntry): StreamEntry {
  const field = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  return {
    partition,
    id,
    type: field('type') ?? '',
    userId: field('user') ?? '',
    data: parseData(field('data')),
  };
}

function parseData(json: string | undefined): Record<string, unknown> | null {
  if (json === undefined) return null;
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
