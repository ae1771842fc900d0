/** One entry read back from a partition's outbox stream. */
export interface StreamEntry {
  partition: number;
  /** Redis stream id, e.g. "1732456789012-0". */
  id: string;
  type: string;
  userId: string;
  data: Record<string, unknown>;
  /** The user's PBX connection when the entry was committed ('' none; absent on entries not from a commit). */
  pbxConnection?: string | undefined;
}

/** XREAD/XREADGROUP reply item → StreamEntry; fields are flat [name, value, name, value...]. */
export function parseStreamEntry(partition: number, id: string, fields: string[]): StreamEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(map.get('data') ?? '{}') as Record<string, unknown>;
  } catch {
    data = {};
  }
  return {
    partition,
    id,
    type: map.get('type') ?? '',
    userId: map.get('user') ?? '',
    data,
    pbxConnection: map.get('pbx'),
  };
}
