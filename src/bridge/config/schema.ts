/**
 * The configuration contract (README "Configuration"): one zod schema, the single source of defaults.
 * Everything else receives the parsed, frozen `Config`; nothing outside src/bridge/config reads process.env.
 */
import { z } from 'zod';
import { isTimeZone } from '../../status/day-boundary.js';
import { BUILT_IN_IDS, isSafePauseReason } from '../../status/index.js';
import { catalogEntries, catalogIssues } from '../catalog/catalog-plan.js';
import { catalogEntryBody } from '../http/schemas/status-types.js';
import { DEFAULT_PRESENCE_MAP, RESUME_INTERRUPTED } from '../sync/presence-map.js';
import { isWebhookEventType } from '../webhooks/event-types.js';
import { isTargetEntry } from '../webhooks/target-policy.js';
import { statusReferences } from './status-references.js';

const durationMs = z.number().int().positive();

const serverSchema = z
  .object({
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Grace period for in-flight requests and workers on SIGTERM/SIGINT. */
    shutdownTimeoutMs: durationMs.default(10_000),
    /** Serve the OpenAPI UI at /docs. */
    docs: z.boolean().default(true),
    /** A request's headers and body must have arrived within this (else 408 and the connection is closed). */
    requestTimeoutMs: durationMs.default(30_000),
    /** A request's headers must have arrived within this. */
    headersTimeoutMs: durationMs.default(10_000),
    /** A connection without any traffic for this long is closed (SSE streams send a ping every 15 s). */
    idleTimeoutMs: durationMs.min(20_000).default(120_000),
  })
  .strict()
  .refine((s) => s.headersTimeoutMs <= s.requestTimeoutMs, {
    message: 'server.headersTimeoutMs must not be longer than server.requestTimeoutMs',
    path: ['headersTimeoutMs'],
  });

const redisSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .default('redis://127.0.0.1:6379'),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits, ":", "_" and "-" only')
      .default('pb:'),
    /**
     * auto: use `url` when it answers, else start a private redis-server child (persistence on).
     * always: always start the child. never: only `url`.
     */
    embedded: z.enum(['auto', 'always', 'never']).default('auto'),
    embeddedDir: z.string().min(1).default('./data/redis'),
    /** A command that gets no answer within this fails (requests answer 503, never hang). */
    commandTimeoutMs: durationMs.default(1_000),
    connectTimeoutMs: durationMs.default(2_000),
    /**
     * Users are spread over this many partitions; each partition is one Redis Cluster hash slot holding its
     * users' keys and its own event stream. Fixed for the life of a data set.
     */
    partitions: z.number().int().min(1).max(256).default(8),
    /** Events kept per partition stream (the outbox, SSE resume window). */
    streamMaxLen: z.number().int().min(1000).default(20_000),
    /** Redis Cluster instead of `url`: some of its nodes; the rest are discovered. */
    cluster: z
      .object({
        nodes: z
          .array(z.string().regex(/^rediss?:\/\/[^/]+$/, 'must be redis://host:port or rediss://host:port'))
          .min(1, 'list at least one cluster node'),
      })
      .strict()
      .optional(),
    /** Redis Sentinel instead of `url`: the sentinels to ask, the monitored master's name, its password. */
    sentinel: z
      .object({
        sentinels: z
          .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port'))
          .min(1, 'list at least one sentinel'),
        name: z.string().min(1),
        password: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => !(r.cluster && r.sentinel), {
    message: 'redis.cluster and redis.sentinel are mutually exclusive: configure one of them (or only url)',
    path: ['cluster'],
  })
  .refine((r) => !((r.cluster || r.sentinel) && r.embedded === 'always'), {
    message:
      'an embedded redis-server only stands in for redis.url; it cannot be "always" with cluster or sentinel',
    path: ['embedded'],
  });

const roleSchema = z.enum(['admin', 'supervisor', 'agent', 'integration']);

const keySchema = z
  .object({
    name: z.string().min(1).max(64),
    role: roleSchema,
    key: z.string().min(16, 'must be at least 16 characters'),
    userId: z.string().min(1).optional(),
  })
  .strict()
  .refine((k) => (k.role === 'agent') === (k.userId !== undefined), {
    message: 'userId is required for agent keys and allowed only for them',
    path: ['userId'],
  });

const authSchema = z
  .object({
    keys: z.array(keySchema).default([]),
    /** Where a generated admin key is kept when no key is configured at all. */
    generatedKeyFile: z.string().min(1).default('./data/admin.key'),
  })
  .strict()
  .refine((a) => new Set(a.keys.map((k) => k.name)).size === a.keys.length, {
    message: 'key names must be unique',
    path: ['keys'],
  })
  .refine((a) => new Set(a.keys.map((k) => k.key)).size === a.keys.length, {
    message: 'two keys have the same secret',
    path: ['keys'],
  });

/** A status type id as the API accepts it: anything else can never name a type (see config/status-references.ts). */
const statusTypeIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,39}$/,
    'not a status type id: lower-case letters, digits and "-", e.g. on-break',
  );

/** When a shift ends by itself, whichever comes first; null turns a rule off (src/status/shift-auto-end.ts). */
const shiftSchema = z
  .object({
    /** Offline (or connection lost in a type that does not keep its status) this long ends the shift. */
    endAfterOfflineMinutes: z.number().int().min(1).max(10_080).nullable().default(60),
    /** The longest a shift may last. */
    maxHours: z.number().min(1).max(168).nullable().default(14),
    /** Daily cut-off "HH:MM" in status.timezone: a shift open when it passes ends. null = none. */
    dayBoundary: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (00:00..23:59)')
      .nullable()
      .default(null),
  })
  .strict();

const statusSchema = z
  .object({
    defaultOnShiftStart: statusTypeIdSchema.default('active'),
    connectionTimeoutSeconds: z.number().int().min(5).max(86_400).default(90),
    /** Heartbeats a key may send per user and minute; more get 429 RATE_LIMITED (a client sends one every ~15 s). */
    heartbeatsPerMinute: z.number().int().min(1).max(100_000).default(120),
    /** Open activities a user may have at once; one more gets 409 TOO_MANY_ACTIVITIES. */
    maxOpenActivities: z.number().int().min(1).max(10_000).default(50),
    requireShift: z.boolean().default(false),
    /** After-call work: seconds after a call ends during which the user still counts as engaged. 0 = off. */
    wrapUpSeconds: z.number().int().min(0).max(3_600).default(0),
    /** POST /v1/users/{id}/wrap-up/extend may make a wrap-up last at most this long from the call's end. 0 = off. */
    wrapUpMaxSeconds: z.number().int().min(0).max(7_200).default(600),
    /**
     * Ring-no-answer: after `threshold` consecutive offers the user let ring out, move them to `statusId` (cause
     * missed-offer). null (the default) = never move; missed offers are still counted and reported.
     */
    missedOffers: z
      .object({
        threshold: z.number().int().min(1).max(100),
        statusId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a status type id'),
      })
      .strict()
      .nullable()
      .default(null),
    shift: shiftSchema.default(shiftSchema.parse({})),
    /** IANA time zone of status.shift.dayBoundary, e.g. "Europe/Berlin". */
    timezone: z
      .string()
      .min(1)
      .refine(isTimeZone, 'must be an IANA time zone name, e.g. Europe/Berlin or America/New_York')
      .default('UTC'),
    /** An activity open this long is ended automatically (cause stale): its end was lost. null = never. */
    maxActivityHours: z.number().min(1).max(168).nullable().default(12),
  })
  .strict();

const pauseReason = z
  .string()
  .min(1)
  .refine(isSafePauseReason, 'at most 79 bytes, without ";", ",", "|" or control characters');

const syncSchema = z
  .object({
    /** Periodic full re-sync of every user (repairs drift). */
    reconcileIntervalSeconds: z.number().int().min(10).default(300),
    /**
     * Deprecated (per status type now: pbxPresence.freepbx.queues). When set, the queue handling of every type that
     * sets none, replacing the defaults (Offline logs out, other types without queue login pause).
     */
    queueMode: z.enum(['logout', 'pause']).optional(),
    /** An upcoming status that takes no queue calls stops queue calls (pause/logout) and sets DND at once. */
    routeOnUpcoming: z.boolean().default(true),
    /** During wrap-up, queue members that would take calls are paused with `wrapUpPauseReason`. */
    pauseDuringWrapUp: z.boolean().default(true),
    wrapUpPauseReason: pauseReason.default('Wrap-up'),
    attempts: z.number().int().min(1).max(100).default(8),
    backoffMs: durationMs.default(500),
    concurrency: z.number().int().min(1).max(1000).default(20),
  })
  .strict();

/** Phone-side fact → status type id or "@interrupted"; keys in src/bridge/sync/presence-map.ts. */
const presenceMapSchema = z
  .record(z.string(), z.union([z.literal(RESUME_INTERRUPTED), statusTypeIdSchema]))
  .default({ ...DEFAULT_PRESENCE_MAP })
  .describe(
    'phone-side fact → status type id or "@interrupted", e.g. {"dnd:on": "on-break", "dnd:off": "@interrupted"}',
  );

const backoffSchema = z
  .object({ initialMs: durationMs.default(500), maxMs: durationMs.default(30_000) })
  .strict()
  .default({ initialMs: 500, maxMs: 30_000 });

const freepbxSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'),
    kind: z.literal('freepbx'),
    ami: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(5038),
        username: z.string().min(1),
        secret: z.string().min(1),
      })
      .strict(),
    pingIntervalMs: durationMs.default(10_000),
    pingTimeoutMs: durationMs.default(5_000),
    actionTimeoutMs: durationMs.default(5_000),
    backoff: backoffSchema,
    memberInterfaceTemplate: z.string().min(1).default('Local/{ext}@from-queue/n'),
    stateInterfaceTemplate: z.string().min(1).default('hint:{ext}@ext-local'),
    presenceMap: presenceMapSchema,
  })
  .strict();

const threeCxSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'),
    kind: z.literal('3cx'),
    url: z.string().url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** PEM file of the CA that signed a self-signed PBX certificate. TLS verification is never turned off. */
    caFile: z.string().min(1).optional(),
    callEvents: z.enum(['websocket', 'polling']).default('websocket'),
    callPollIntervalMs: durationMs.default(2_000),
    presencePollIntervalMs: durationMs.default(15_000),
    requestTimeoutMs: durationMs.default(10_000),
    /** A ringing leg removed unanswered is a missed offer unless its call is connected elsewhere within this. */
    missedOfferGraceMs: durationMs.max(60_000).default(3_000),
    externalCalls: z
      .object({ enabled: z.boolean().default(false) })
      .strict()
      .default({ enabled: false }),
    backoff: backoffSchema,
    presenceMap: presenceMapSchema,
  })
  .strict();

const pbxSchema = z
  .array(z.discriminatedUnion('kind', [freepbxSchema, threeCxSchema]))
  .default([])
  .refine((list) => new Set(list.map((p) => p.id)).size === list.length, {
    message: 'pbx ids must be unique',
  });

const haSchema = z
  .object({
    /**
     * A PBX connection is held by one daemon at a time through a Redis lease of this length; when its holder dies,
     * another daemon takes over within about ttl + ttl/3.
     */
    leaseTtlMs: z.number().int().min(1_000).max(120_000).default(6_000),
    /**
     * Name of this daemon in GET /v1/pbx and logs; defaults to "<hostname>-<pid>". Leases never depend on it
     * (their owner adds a random instance id), but give each daemon its own name or leave it unset.
     */
    nodeName: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, ".", "_", ":" and "-" only')
      .optional(),
  })
  .strict();

/** Standard Webhooks secret: "whsec_" + base64 of 24 to 64 random bytes (src/bridge/webhooks/signature.ts). */
export const webhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be "whsec_" + base64 of 24 to 64 bytes');

/** A webhook endpoint id: the path segment of /v1/webhooks/{id}. */
export const webhookIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and "-", 1 to 40');

/** An allow-list entry: a host name ("crm.example.com", "*.example.com"), an IP address or a CIDR network. */
const targetEntrySchema = z
  .string()
  .min(1)
  .refine(isTargetEntry, 'a host name, "*.domain", an IP address or a CIDR network such as 10.0.0.0/8');

const webhookEndpointSchema = z
  .object({
    id: webhookIdSchema,
    url: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'must be an http:// or https:// URL'),
    /** Public event types (the SSE types) sent to this endpoint. */
    events: z.array(z.string().refine(isWebhookEventType, 'not a public event type')).min(1),
    /** Only these users' events (plus events about no user); omitted = every user. */
    users: z.array(z.string().min(1)).min(1).optional(),
    secret: webhookSecretSchema,
    description: z.string().max(200).optional(),
  })
  .strict();

const webhooksSchema = z
  .object({
    /**
     * Where endpoints may point. Empty: any host whose addresses are public (private, loopback, link-local and
     * other special addresses refused). Otherwise only listed hosts or addresses inside listed networks; a
     * special address is allowed only inside a listed network, also when a listed host resolves to it.
     */
    allow: z.array(targetEntrySchema).default([]),
    /** One attempt (connect, send, answer) longer than this fails and is retried. */
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** A delivery is retried this long after its first attempt, then marked failed. */
    retryForSeconds: z.number().int().min(1).max(604_800).default(86_400),
    /** Delay before the second attempt; doubled each time up to maxMs (with jitter). */
    backoff: z
      .object({ initialMs: durationMs.default(1_000), maxMs: durationMs.default(300_000) })
      .strict()
      .default({ initialMs: 1_000, maxMs: 300_000 }),
    /** Requests in flight per endpoint (one user's deliveries are always one at a time, in order). */
    concurrency: z.number().int().min(1).max(256).default(16),
    /** Delivery records kept per endpoint for GET /v1/webhooks/{id}/deliveries and redelivery. */
    keepDeliveries: z.number().int().min(100).max(1_000_000).default(10_000),
    /** Endpoints managed in this file (read-only through the API); more can be added with POST /v1/webhooks. */
    endpoints: z
      .array(webhookEndpointSchema)
      .default([])
      .refine((list) => new Set(list.map((e) => e.id)).size === list.length, {
        message: 'webhook endpoint ids must be unique',
      }),
  })
  .strict();

/** GET /v1/events (SSE): what one stream may cost, and how many there may be (README "Real time"). */
const eventsSchema = z
  .object({
    /** Open streams on this daemon, in total and per API key; over it: 429 TOO_MANY_STREAMS. */
    maxSessions: z.number().int().min(1).default(5_000),
    maxSessionsPerKey: z.number().int().min(1).default(100),
    /** Streams catching up after Last-Event-ID at the same time, in total and per key; over it: 429. */
    maxReplays: z.number().int().min(1).default(16),
    maxReplaysPerKey: z.number().int().min(1).default(4),
    /** Retry-After (seconds) of a 429 TOO_MANY_STREAMS. */
    retryAfterSeconds: z.number().int().min(1).max(3_600).default(5),
    /** Unsent bytes of a live stream after which its client (not reading) is disconnected. */
    maxBacklogBytes: z.number().int().min(16_384).default(1_048_576),
    /** Live events held for one stream while it catches up; past it they are re-read from Redis instead. */
    maxHeldBytes: z.number().int().min(16_384).default(1_048_576),
    /** A client whose connection takes nothing for this long is disconnected. */
    drainTimeoutMs: durationMs.default(30_000),
    /** A resume that has not caught up within this is disconnected (the client reconnects from its cursor). */
    replayTimeoutMs: durationMs.default(60_000),
  })
  .strict();

/** GET /v1/reports/*: reports read every user's history, so only a few run at once (README "Reports"). */
const reportsSchema = z
  .object({
    /** Reports computed at the same time on this daemon. */
    maxConcurrent: z.number().int().min(1).max(64).default(2),
    /** Reports waiting for their turn; more are refused at once with 429 REPORTS_BUSY. */
    maxQueued: z.number().int().min(0).max(1_000).default(4),
    /** A report that waited this long without its turn is refused with 429 REPORTS_BUSY. */
    queueTimeoutMs: durationMs.default(10_000),
    /** Retry-After (seconds) of a 429 REPORTS_BUSY. */
    retryAfterSeconds: z.number().int().min(1).max(3_600).default(5),
  })
  .strict();

const logSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** auto: readable lines when stdout is a terminal, JSON lines otherwise (journald, Docker, log shippers). */
    format: z.enum(['auto', 'json', 'pretty']).default('auto'),
  })
  .strict();

/**
 * The status catalogue as code (README "Status types as code"): when present, the whole catalogue, applied at start
 * like PUT /v1/status-types (types left out are deleted unless in use or built in).
 */
const statusTypesSchema = z
  .array(catalogEntryBody.omit({ version: true, createdAt: true, updatedAt: true, warnings: true }))
  .max(500)
  .optional();

export const configSchema = z
  .object({
    server: serverSchema.default(serverSchema.parse({})),
    redis: redisSchema.default(redisSchema.parse({})),
    auth: authSchema.default(authSchema.parse({})),
    status: statusSchema.default(statusSchema.parse({})),
    sync: syncSchema.default(syncSchema.parse({})),
    log: logSchema.default(logSchema.parse({})),
    ha: haSchema.default(haSchema.parse({})),
    webhooks: webhooksSchema.default(webhooksSchema.parse({})),
    events: eventsSchema.default(eventsSchema.parse({})),
    reports: reportsSchema.default(reportsSchema.parse({})),
    pbx: pbxSchema,
    statusTypes: statusTypesSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    if (!config.statusTypes) return;
    for (const issue of catalogIssues(catalogEntries(config.statusTypes)))
      ctx.addIssue({ code: 'custom', message: issue.message, path: pathParts(issue.path) });
    // Every type the configuration names must survive the catalogue it defines.
    const defined = new Set([...BUILT_IN_IDS, ...config.statusTypes.map((t) => t.id)]);
    for (const ref of statusReferences(config).filter((r) => !defined.has(r.id))) {
      ctx.addIssue({
        code: 'custom',
        message: `defines no status type "${ref.id}", which ${ref.path} names (add it, or name a built-in)`,
        path: ['statusTypes'],
      });
    }
  });

/** "statusTypes[2].name" → ["statusTypes", 2, "name"] */
function pathParts(path: string): Array<string | number> {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
}

export type Config = z.infer<typeof configSchema>;
export type ApiKeyConfig = z.infer<typeof keySchema>;
export type Role = z.infer<typeof roleSchema>;
export type PbxConfig = z.infer<typeof pbxSchema>[number];
export type FreepbxConfig = z.infer<typeof freepbxSchema>;
export type ThreeCxConfig = z.infer<typeof threeCxSchema>;
export type WebhooksConfig = z.infer<typeof webhooksSchema>;
export type WebhookEndpointConfig = z.infer<typeof webhookEndpointSchema>;
