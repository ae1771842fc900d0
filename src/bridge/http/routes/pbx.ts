/** GET /v1/pbx: each PBX connection's state and the sync backlog (admin, supervisor). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PbxCapabilities } from '../../../adapters/pbx.js';
import type { RosterView } from '../../ha/daemon-roster.js';
import type { PbxConnectionReport } from '../../sync/pbx-registry.js';
import type { SyncCounts } from '../../sync/sync-worker.js';
import { authorize } from '../auth.js';
import { errorResponses } from '../schemas/common.js';

const backlog = z.object({
  waiting: z.number(),
  delayed: z.number(),
  active: z.number(),
  failed: z.number(),
});

const support = z
  .enum(['supported', 'partial', 'unsupported'])
  .describe('"partial": works with the limits `how` names; "unsupported": the platform cannot do it');
const capability = <T extends z.ZodRawShape>(extra: T) =>
  z.object({
    support,
    how: z.string().describe('what the bridge does on the wire, or why it cannot'),
    ...extra,
  });

const capabilities = z
  .object({
    presence: capability({}).describe('the status shown on phones (FreePBX presence, 3CX status profile)'),
    dnd: capability({}),
    queueLogin: capability({ scope: z.enum(['per-queue', 'global']) }),
    queuePause: capability({ reason: z.boolean().describe('a pause carries a reason code') }),
    ringMyMobile: capability({}),
    externalCalls: capability({
      directions: z
        .array(z.enum(['outbound', 'inbound']))
        .describe('which external calls the switch controls'),
    }),
    phoneSideChanges: capability({
      seen: z.array(z.string()).describe('phone-side changes reported, as presenceMap keys'),
    }),
  })
  .describe('what each status-type setting does on this platform');

const connection = z.object({
  id: z.string(),
  kind: z.enum(['freepbx', '3cx']),
  connected: z.boolean(),
  since: z.string(),
  reconnects: z.number(),
  lastEventAt: z.string().nullable(),
  lastError: z.string().nullable(),
  heldBy: z
    .string()
    .nullable()
    .describe('node name of the daemon holding the connection (one at a time, by Redis lease)'),
  heldByInstance: z
    .string()
    .nullable()
    .describe(
      "that daemon's instance id: random per process, unique even when two daemons share a node name",
    ),
  sync: backlog.describe("this connection's sync jobs: pending (waiting, delayed, active) and failed"),
  capabilities,
});

const daemon = z.object({
  nodeName: z.string().describe('ha.nodeName, or <hostname>-<pid> when unset'),
  instanceId: z.string().describe('random per process start'),
  startedAt: z.string(),
  lastSeenAt: z.string().describe("the daemon's last heartbeat (every ha.leaseTtlMs / 3)"),
  version: z.string().nullable(),
  self: z.boolean().describe('the daemon answering this request'),
});

const body = z.object({
  connections: z.array(connection),
  sync: backlog.describe('sync job backlog of all connections'),
  daemons: z.array(daemon).describe('the daemons running on this Redis (key prefix)'),
  duplicateNodeNames: z
    .array(z.string())
    .describe(
      'node names used by more than one running daemon: harmless for the leases, but heldBy becomes ambiguous; give each daemon its own ha.nodeName or leave it unset',
    ),
});

export const pbxRoutes =
  (deps: {
    report: () => Promise<PbxConnectionReport[]>;
    syncCounts: (connection?: string) => Promise<SyncCounts>;
    capabilities: (connection: string) => PbxCapabilities;
    roster: () => Promise<RosterView>;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/pbx',
      {
        config: { access: { roles: ['admin', 'supervisor'] } },
        schema: {
          tags: ['pbx'],
          security: [{ bearer: [] }],
          summary: 'PBX connections, what each can do, and the sync backlog',
          response: { 200: body, ...errorResponses() },
        },
      },
      async (request) => {
        authorize(request, { roles: ['admin', 'supervisor'] });
        const [counts, reports, roster] = await Promise.all([
          deps.syncCounts(),
          deps.report(),
          deps.roster(),
        ]);
        const perConnection = await Promise.all(reports.map((r) => deps.syncCounts(r.id)));
        return {
          connections: reports.map((r, i) => ({
            id: r.id,
            kind: r.kind,
            connected: r.connected,
            since: r.since,
            reconnects: r.reconnects,
            lastEventAt: r.lastEventAt,
            lastError: r.lastError,
            heldBy: r.heldBy,
            heldByInstance: r.heldByInstance,
            sync: perConnection[i] as SyncCounts,
            capabilities: deps.capabilities(r.id),
          })),
          sync: counts,
          daemons: roster.daemons,
          duplicateNodeNames: roster.duplicateNodeNames,
        };
      },
    );
  };
