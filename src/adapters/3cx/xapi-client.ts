/**
 * Authorized JSON requests to the PBX. XAPI (`/xapi/v1`) and Call Control REST (`/callcontrol`) share
 * the connection's token, so both go through here: Bearer header, one renewal on 401, every failure
 * mapped to PbxError, and OData collections read page by page with `$top` ≤ 100.
 */
import type { AxiosInstance } from 'axios';
import { PbxError } from '../pbx.js';
import { isHttpStatus, toPbxError, type ErrorContext } from './errors.js';
import { isCollection, MAX_PAGE_SIZE, queryString, type QueryParams } from './odata.js';
import type { TokenManager } from './token-manager.js';

/** A server that ignores `$skip` would page forever; 100 000 users is far beyond any 3CX. */
const MAX_PAGES = 1_000;

export interface RequestSpec extends ErrorContext {
  method: 'GET' | 'PATCH' | 'POST';
  /** Absolute path on the PBX, e.g. "/xapi/v1/Users(12)". */
  path: string;
  query?: QueryParams;
  body?: unknown;
}

export class XapiClient {
  constructor(
    private readonly http: AxiosInstance,
    private readonly tokens: TokenManager,
    private readonly signal: AbortSignal,
  ) {}

  /** One request; resolves with the response body. */
  async request<T>(spec: RequestSpec): Promise<T> {
    try {
      return await this.tokens.authorized((token) => this.send<T>(spec, token), isUnauthorized);
    } catch (err) {
      throw toPbxError(err, spec);
    }
  }

  /** Like {@link request}, but a 404 resolves to null (the entity is gone). */
  async find<T>(spec: RequestSpec): Promise<T | null> {
    try {
      return await this.tokens.authorized((token) => this.send<T>(spec, token), isUnauthorized);
    } catch (err) {
      if (isHttpStatus(err, 404)) return null;
      throw toPbxError(err, spec);
    }
  }

  /**
   * Every item of an OData collection, paged with `$top`/`$skip`. A short page ends the walk unless
   * the server announces more with `@odata.nextLink` (server-driven paging below our page size).
   */
  async listAll<T>(spec: Omit<RequestSpec, 'method'>): Promise<T[]> {
    const items: T[] = [];
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const query = { ...spec.query, $top: MAX_PAGE_SIZE, $skip: items.length };
      const page = await this.request<unknown>({ ...spec, method: 'GET', query });
      if (!isCollection<T>(page))
        throw new PbxError('PBX_PROTOCOL', `3CX ${spec.what}: not an OData collection`);
      items.push(...page.value);
      const more = page.value.length === MAX_PAGE_SIZE || page['@odata.nextLink'] !== undefined;
      if (!more || page.value.length === 0) return items;
    }
    throw new PbxError('PBX_PROTOCOL', `3CX ${spec.what}: more than ${MAX_PAGES} pages (is $skip ignored?)`);
  }

  private async send<T>(spec: RequestSpec, token: string): Promise<T> {
    const res = await this.http.request<T>({
      method: spec.method,
      url: spec.path + queryString(spec.query),
      data: spec.body,
      headers: { Authorization: `Bearer ${token}` },
      signal: this.signal,
    });
    return res.data;
  }
}

function isUnauthorized(err: unknown): boolean {
  return isHttpStatus(err, 401);
}
