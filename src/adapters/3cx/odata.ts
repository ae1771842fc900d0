/**
 * The bits of OData v4 the adapter speaks: string literals, query strings, collection envelopes, and the
 * page limit 3CX enforces on Users (`$top` above 100 → HTTP 400, reference §3).
 */

/** 3CX rejects `$top` over 100; every page we ask for stays within it. */
export const MAX_PAGE_SIZE = 100;

/** A collection answer: `{"@odata.context": ..., "value": [...]}`. */
export interface ODataCollection<T> {
  '@odata.context'?: string;
  '@odata.nextLink'?: string;
  value: T[];
}

export type QueryParams = Record<string, string | number>;

/** OData string literal: single quotes, embedded quotes doubled (as 3cx/xapi-tutorial's encoder). */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * `?$top=100&$filter=Number%20eq%20'101'`: `$` stays literal and spaces become %20 (not "+", which some
 * OData parsers keep as a plus sign).
 */
export function queryString(params: QueryParams | undefined): string {
  if (!params) return '';
  const parts = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

export function isCollection<T>(body: unknown): body is ODataCollection<T> {
  return !!body && typeof body === 'object' && Array.isArray((body as { value?: unknown }).value);
}
