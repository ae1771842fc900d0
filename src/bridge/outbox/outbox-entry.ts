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

/**
 * XREAD/XREADGROUP reply item → StreamEntry; fields are flat [name, value, name, value...]. `data` is parsed on first
 * use: most entries (status changes) interest no handler of the dispatcher beyond their type (bench/: the eager parse
 * was ~1 % of the daemon's CPU per change).
 */
export function parseStreamEntry(partition: number, id: string, fields: string[]): StreamEntry {
  let type = '';
  let userId = '';
  let raw = '{}';
  let pbxConnection: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    switch (fields[i]) {
      case 'type':
        type = value;
        break;
      case 'user':
        userId = value;
        break;
      case 'data':
        raw = value;
        break;
      case 'pbx':
        pbxConnection = value;
        break;
    }
  }
  let data: Record<string, unknown> | undefined;
  return {
    partition,
    id,
    type,
    userId,
    get data(): Record<string, unknown> {
      return (data ??= parseData(raw));
    },
    pbxConnection,
  };
}

function parseData(raw: string): Record<string, unknown> {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return {};
  }
}
