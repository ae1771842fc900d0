/**
 * Extension number → XAPI user `Id` (entity keys are internal ids, reference §3). Looked up with
 * `$filter=Number eq '…'`, which works on every V20 build (`/Users(Number=…)` only from 20.0.8), cached,
 * single-flight per extension, and looked up again when a cached id turns out stale (404 or renumbered).
 */
import { PbxError } from '../pbx.js';
import { odataString } from './odata.js';
import type { XapiClient } from './xapi-client.js';
import type { UserPresenceRow } from './xapi-types.js';

export const USERS_PATH = '/xapi/v1/Users';

export class Identity {
  private readonly ids = new Map<string, number>();
  private readonly pending = new Map<string, Promise<number>>();

  constructor(private readonly client: XapiClient) {}

  /**
   * Runs `work` with the user's id. If a cached id fails with PBX_UNKNOWN_EXTENSION, the id is looked up
   * again and `work` runs once more with the fresh id.
   */
  async withUserId<T>(extension: string, work: (id: number) => Promise<T>): Promise<T> {
    const cached = this.ids.has(extension);
    const id = await this.resolve(extension);
    try {
      return await work(id);
    } catch (err) {
      if (!cached || !isUnknownExtension(err)) throw err;
      this.ids.delete(extension);
      return work(await this.resolve(extension));
    }
  }

  /** Learns ids seen elsewhere (the presence poll reads Id and Number of every user anyway). */
  remember(rows: readonly Pick<UserPresenceRow, 'Id' | 'Number'>[]): void {
    for (const row of rows) this.ids.set(row.Number, row.Id);
  }

  private resolve(extension: string): Promise<number> {
    const known = this.ids.get(extension);
    if (known !== undefined) return Promise.resolve(known);
    const pending = this.pending.get(extension) ?? this.lookup(extension);
    this.pending.set(extension, pending);
    return pending.finally(() => this.pending.delete(extension));
  }

  private async lookup(extension: string): Promise<number> {
    const page = await this.client.request<{ value?: Pick<UserPresenceRow, 'Id' | 'Number'>[] }>({
      method: 'GET',
      path: USERS_PATH,
      query: { $filter: `Number eq ${odataString(extension)}`, $select: 'Id,Number', $top: 1 },
      what: 'user lookup',
      extension,
    });
    const row = page.value?.find((u) => u.Number === extension);
    if (!row) throw unknownExtension(extension);
    this.ids.set(extension, row.Id);
    return row.Id;
  }
}

export function unknownExtension(extension: string): PbxError {
  return new PbxError('PBX_UNKNOWN_EXTENSION', `3CX: extension ${extension} is not a user on the PBX`, {
    extension,
  });
}

function isUnknownExtension(err: unknown): boolean {
  return err instanceof PbxError && err.code === 'PBX_UNKNOWN_EXTENSION';
}
