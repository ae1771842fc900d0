/** Schemas shared by several routes; the same zod objects validate requests and generate the OpenAPI document. */
import { z } from 'zod';

export const errorBody = z
  .object({
    error: z.object({
      code: z.string().describe('stable UPPER_SNAKE_CASE code (see README "Error codes")'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .describe('Error');

export const userId = z
  .string()
  .regex(/^[A-Za-z0-9._@:+-]{1,128}$/, 'letters, digits and . _ @ : + - (1 to 128)')
  // "." and ".." are path segments to browsers and proxies, which resolve them away: such a user could not be
  // addressed by URL. "a..b" is refused with them, so no id is a path traversal in any client's hands.
  .refine((id) => id !== '.' && !id.includes('..'), 'may not be "." nor contain ".."')
  .describe('user id');

export const statusTypeId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,39}$/,
    'lower-case letters, digits and "-", 1 to 40, starting with a letter or digit',
  );

/**
 * An integer query parameter written in decimal digits only: z.coerce.number() also took "0x10", "1e2", " 5" and
 * "" (as 0), none of which a client means as a count.
 */
export const queryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, 'a decimal integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback)
    .describe(`${min}..${max}, default ${fallback}`);

export const isoTime = z.string().describe('ISO-8601 UTC time');

/** Standard error responses of a /v1 route, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorBody> {
  const codes = [400, 401, 403, 503, ...statuses];
  return Object.fromEntries(codes.map((c) => [c, errorBody]));
}

export const ifMatchHeader = z.object({
  'if-match': z
    .string()
    .regex(/^(W\/)?"?\d+"?$/, 'the expected version, an integer')
    .optional()
    .describe('expected current version; a stale one gets 409 VERSION_CONFLICT'),
});

/** "17", "\"17\"" or W/"17" → 17 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  return Number(header.replace(/^W\//, '').replace(/"/g, ''));
}
