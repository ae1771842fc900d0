/** Request and response schemas of /v1/status-types. */
import { z } from 'zod';
import { isSafePauseReason } from '../../../status/index.js';
import { isoTime, statusTypeId } from './common.js';

const presenceState = z.enum([
  'available',
  'chat',
  'away',
  'dnd',
  'xa',
  'unavailable',
  'not_set',
  'invisible',
]);
const color = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be #RRGGBB');
const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(40, 'at most 40 characters')
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');
const limitPerShift = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .nullable()
  .describe('times a user may enter it per shift; null = unlimited');
const allowedMinutes = z
  .number()
  .int()
  .min(1)
  .max(1440)
  .nullable()
  .describe('overage tracking starts after it; null = unlimited');
/** Client-controlled message shown on FreePBX phones; CR/LF and commas would break the AMI value. */
const presenceMessage = z
  .string()
  .max(80)
  .regex(/^[^\r\n,]*$/, 'no line breaks or commas');

const PRODUCTIVE =
  'time in it is work; reports count time in types that are not as break (non-productive) time';
const productive = z.boolean();
const queueMode = z
  .enum(['pause', 'logout'])
  .describe(
    'how the status shows in FreePBX queues when it takes no queue calls: a paused member, or no member ' +
      '(static members are paused instead). Default: logout for Offline, pause for every other type',
  );
const pauseReason = z
  .string()
  .trim()
  .min(1)
  .refine(isSafePauseReason, 'at most 79 bytes, without ";", ",", "|" or control characters')
  .describe("queue pause reason code (app_queue PausedReason). Default: the type's name, made safe");

const callHandling = z
  .object({ ringMyMobile: z.boolean(), queueLogin: z.boolean(), externalCalls: z.boolean() })
  .strict();
const pbxPresence = z
  .object({
    freepbx: z
      .object({
        dnd: z.boolean(),
        presence: presenceState,
        message: presenceMessage.optional(),
        queues: queueMode.optional(),
        pauseReason: pauseReason.optional(),
      })
      .strict(),
    '3cx': z.object({ profile: z.string().trim().min(1).max(64) }).strict(),
  })
  .strict();

/** Read-only fields a client may echo back from a GET; they are ignored. */
const readOnly = {
  builtIn: z.boolean().optional(),
  version: z.number().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  warnings: z.array(z.string()).optional(),
};

export const createStatusTypeBody = z
  .object({
    id: statusTypeId.optional().describe('slug derived from the name when absent; immutable'),
    name,
    color,
    keepOnConnectionLoss: z.boolean().default(false),
    canEndShift: z.boolean().default(false),
    limitPerShift: limitPerShift.default(null),
    allowedMinutes: allowedMinutes.default(null),
    callHandling: callHandling
      .partial()
      .default({})
      .transform((c) => ({ ringMyMobile: false, queueLogin: false, externalCalls: false, ...c })),
    pbxPresence: pbxPresence
      .optional()
      .describe('how the status shows on each platform; derived from callHandling when absent'),
    productive: productive.optional().describe(`${PRODUCTIVE}; default: true when it takes queue calls`),
    ...readOnly,
  })
  .strict();

export const patchStatusTypeBody = z
  .object({
    id: statusTypeId.optional().describe('immutable: must equal the path id when sent'),
    name: name.optional(),
    color: color.optional(),
    keepOnConnectionLoss: z.boolean().optional(),
    canEndShift: z.boolean().optional(),
    limitPerShift: limitPerShift.optional(),
    allowedMinutes: allowedMinutes.optional(),
    callHandling: callHandling.partial().optional(),
    pbxPresence: z
      .object({
        freepbx: pbxPresence.shape.freepbx.partial().optional(),
        '3cx': pbxPresence.shape['3cx'].partial().optional(),
      })
      .strict()
      .optional(),
    productive: productive.optional(),
    ...readOnly,
  })
  .strict();

export const statusTypeBody = z
  .object({
    id: z.string(),
    name: z.string(),
    color: z.string(),
    builtIn: z.boolean(),
    keepOnConnectionLoss: z.boolean(),
    canEndShift: z.boolean(),
    limitPerShift: z.number().nullable(),
    allowedMinutes: z.number().nullable(),
    callHandling,
    pbxPresence: pbxPresence.extend({
      freepbx: pbxPresence.shape.freepbx.extend({ queues: queueMode, pauseReason: z.string() }),
    }),
    productive: productive.describe(PRODUCTIVE),
    version: z.number(),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .describe('StatusType');

export const statusTypeWriteBody = statusTypeBody
  .extend({
    warnings: z.array(z.string()).describe('non-fatal remarks, e.g. a color shared with another type'),
  })
  .describe('StatusType with warnings');

export const statusTypeParams = z.object({ id: statusTypeId });

/**
 * One type of the catalogue as code (GET /v1/status-types/export, PUT /v1/status-types, the `statusTypes:` section
 * of the configuration): the fields of POST, with `id` required (the key a diff matches on: a rename stays a rename)
 * and the same defaults for what is left out. Read-only fields a client echoes back are ignored.
 */
export const catalogEntryBody = createStatusTypeBody
  .extend({ id: statusTypeId.describe('immutable; the key the import matches types on') })
  .describe('StatusTypeEntry');

export const catalogDocumentBody = z
  .object({
    statusTypes: z
      .array(catalogEntryBody)
      .max(500)
      .describe('the whole catalogue: types left out are deleted, except built-ins (which stay as they are)'),
  })
  .strict()
  .describe('StatusTypeCatalog');

/** What the export answers: every field of each type (queue handling filled in), no version or timestamps. */
export const catalogExportBody = z
  .object({
    statusTypes: z.array(
      statusTypeBody.omit({ version: true, createdAt: true, updatedAt: true }).describe('StatusTypeEntry'),
    ),
  })
  .describe('StatusTypeCatalog');

const namedType = z.object({ id: z.string(), name: z.string() });
export const catalogDiffBody = z
  .object({
    dryRun: z.boolean(),
    applied: z.boolean().describe('true when changes were written (never with dryRun)'),
    created: z.array(namedType),
    changed: z.array(
      namedType.extend({
        fields: z.array(z.object({ path: z.string(), from: z.unknown(), to: z.unknown() })),
      }),
    ),
    deleted: z.array(namedType),
    refused: z
      .array(
        namedType.extend({
          code: z.string(),
          message: z.string(),
          details: z.record(z.string(), z.unknown()),
        }),
      )
      .describe('deletes refused: a user is in the type or has it upcoming, or the configuration names it'),
    unchanged: z
      .array(z.string())
      .describe('ids of types left as they are (built-ins the document omits too)'),
    warnings: z.array(z.string()),
  })
  .describe('StatusTypeCatalogDiff');

const flag = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();
export const catalogImportQuery = z
  .object({
    dryRun: flag.describe('answer the diff and change nothing'),
    keepRefused: flag.describe(
      'apply the rest when a delete is refused (the type stays); by default the whole import is refused',
    ),
  })
  .strict();

export const catalogExportQuery = z
  .object({
    format: z
      .enum(['json', 'yaml'])
      .optional()
      .describe('wins over Accept; default JSON unless Accept asks for application/yaml'),
  })
  .strict();
