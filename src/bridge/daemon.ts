/**
 * The composition root: builds every part from the frozen config, starts them in order and stops them in
 * reverse. Each stop step is caught so one failing part cannot keep the others running; stop() is idempotent.
 */
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ensureGeneratedAdminKey } from './admin-key.js';
import { CatalogCache } from './catalog/catalog-cache.js';
import { SeedGuard } from './catalog/seed-guard.js';
import { OverageReplanner } from './catalog/overage-replan.js';
import { StatusTypeStore } from './catalog/status-type-store.js';
import { applyConfiguredCatalog, CatalogImporter } from './catalog/catalog-import.js';
import { catalogEntries } from './catalog/catalog-plan.js';
import type { Config, PbxConfig } from './config/schema.js';
import { checkStatusReferences, fieldsNaming, statusReferences } from './config/status-references.js';
import { Health } from './health.js';
import { buildApp } from './http/app.js';
import { KeyRing } from './http/auth.js';
import { statusTypeRoutes } from './http/routes/status-types.js';
import { statusTypeCatalogRoutes } from './http/routes/status-type-catalog.js';
import { userRoutes } from './http/routes/users.js';
import { EventHub } from './events/event-hub.js';
import { eventRoutes } from './http/routes/events.js';
import { reportRoutes } from './http/routes/reports.js';
import { consoleRoutes } from './http/routes/console.js';
import { meRoutes } from './http/routes/me.js';
import { createMetrics, type Metrics } from './metrics.js';
import { statusGaugeRefresher } from './status-gauge.js';
import { createBlockingClient, createBullConnection, createCommandClient } from './redis/connection.js';
import { ensureRedis, type EmbeddedRedis } from './redis/embedded.js';
import { Keys } from './redis/keys.js';
import { defineScripts } from './redis/scripts.js';
import { OutboxDispatcher, type OutboxHandler } from './outbox/dispatcher.js';
import { Timers } from './timers/timers.js';
import { capabilitiesOf, createAdapter } from './sync/adapter-factory.js';
import { ExtensionIndex } from './sync/extension-index.js';
import { PbxRegistry } from './sync/pbx-registry.js';
import { DaemonRoster } from './ha/daemon-roster.js';
import { createIdentity } from './ha/identity.js';
import { desiredFingerprint, desiredOptionsOf } from './sync/desired.js';
import { SyncIndex } from './sync/sync-index.js';
import { SyncRecords } from './sync/sync-record.js';
import { RevertNotices } from './sync/revert-notices.js';
import { SyncPipeline } from './sync/sync-worker.js';
import { pbxRoutes } from './http/routes/pbx.js';
import { UserService } from './users/user-service.js';
import { UserStore } from './users/user-store.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { DeliveryStore } from './webhooks/delivery-store.js';
import { WebhookDeliverer, type FanoutHandle } from './webhooks/deliverer.js';
import { EndpointStore } from './webhooks/endpoint-store.js';
import { WebhookFanout } from './webhooks/fanout.js';
import { TargetPolicy } from './webhooks/target-policy.js';
import { urlCheck } from './webhooks/url-check.js';

export interface DaemonOptions {
  config: Config;
  log: Logger;
  version?: string;
  clock?: () => Date;
}

export interface DaemonParts {
  keys: Keys;
  users: UserService;
  store: UserStore;
  /** The store reports read through (its own connection). */
  reportStore: UserStore;
  statusTypes: StatusTypeStore;
  catalog: CatalogCache;
  timers: Timers;
  dispatcher: OutboxDispatcher;
  sync: SyncPipeline;
  pbx: PbxRegistry;
  extensions: ExtensionIndex;
  records: SyncRecords;
  webhooks: WebhookDeliverer;
  deliveries: DeliveryStore;
}

type StopStep = { name: string; run: () => Promise<unknown> };

/** Spans kept per user in Redis; reports need at most a few weeks of a busy agent's changes. */
const HISTORY_MAX = 2000;

export class Daemon {
  readonly metrics: Metrics = createMetrics();
  app: FastifyInstance | undefined;
  redis: Redis | undefined;
  /** The running parts, for tests and diagnostics. */
  parts: DaemonParts | undefined;
  private stopSteps: StopStep[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DaemonOptions) {}

  get address(): string | undefined {
    const addr = this.app?.server.address();
    return addr && typeof addr === 'object' ? `http://127.0.0.1:${addr.port}` : undefined;
  }

  async start(): Promise<void> {
    const { config, log } = this.options;
    // The embedded server only ever stands in for the single-node `url`, never for a cluster or a sentinel setup.
    const singleNode = !config.redis.cluster && !config.redis.sentinel;
    const embedded = singleNode ? await ensureRedis({ ...config.redis, log }) : null;
    if (embedded) this.onStop('embedded redis', () => (embedded as EmbeddedRedis).stop());

    const conn = {
      url: config.redis.url,
      commandTimeoutMs: config.redis.commandTimeoutMs,
      connectTimeoutMs: config.redis.connectTimeoutMs,
      cluster: config.redis.cluster,
      sentinel: config.redis.sentinel,
    };
    const redis = createCommandClient(conn, log, 'command');
    this.redis = redis;
    this.onStop('redis', () => closeClient(redis));
    await redis.connect();
    defineScripts(redis);

    const keys = new Keys(config.redis.keyPrefix, config.redis.partitions);
    const clock = this.options.clock ?? (() => new Date());
    const statusTypes = new StatusTypeStore(redis, keys, clock, config.redis.streamMaxLen);
    const { seeded } = await statusTypes.ensureSeeded();
    if (seeded > 0) log.info({ seeded }, 'seeded built-in status types');
    const store = new UserStore(redis, keys, {
      streamMaxLen: config.redis.streamMaxLen,
      historyMax: HISTORY_MAX,
    });
    const references = statusReferences(config);
    const importer = new CatalogImporter({
      store: statusTypes,
      usage: (id) => store.statusTypeUsage(id),
      configFields: (id) => fieldsNaming(references, id),
      queueModeFallback: config.sync.queueMode,
      clock,
    });
    // The configuration's catalogue (statusTypes:), before anything reads the catalog or checks references to it.
    if (config.statusTypes) {
      await applyConfiguredCatalog(
        importer,
        catalogEntries(config.statusTypes),
        log.child({ component: 'catalog' }),
      );
    }

    const subscriber = createBlockingClient(conn, log, 'catalog-subscriber');
    this.onStop('catalog subscriber', () => closeClient(subscriber));
    const catalog = new CatalogCache(statusTypes, subscriber, keys, log.child({ component: 'catalog' }));
    await catalog.start();
    // Every status type the configuration names must exist, before anything can use one.
    checkStatusReferences(references, await catalog.get());

    // Redis that comes back empty lost the built-ins and the configuration's catalogue: both are seeded again, and
    // the daemon is not ready until then (seed-guard.ts).
    const configuredCatalog = config.statusTypes ? catalogEntries(config.statusTypes) : null;
    const seedGuard = new SeedGuard(
      redis,
      statusTypes,
      catalog,
      references,
      log.child({ component: 'catalog' }),
      configuredCatalog
        ? () => applyConfiguredCatalog(importer, configuredCatalog, log.child({ component: 'catalog' }))
        : undefined,
    );
    await seedGuard.start();
    this.onStop('seed guard', async () => seedGuard.stop());

    // Reports read every user's history on a connection of their own: with auto-pipelining on one connection,
    // agents' commits would queue behind a report's hundreds of reads.
    const reportsRedis = createCommandClient(conn, log, 'reports');
    this.onStop('reports redis', () => closeClient(reportsRedis));
    await reportsRedis.connect();
    const reportStore = new UserStore(reportsRedis, keys, {
      streamMaxLen: config.redis.streamMaxLen,
      historyMax: HISTORY_MAX,
    });
    const syncDesiredOptions = desiredOptionsOf(config.sync);
    const users = new UserService(
      store,
      catalog,
      config.status,
      this.metrics,
      log.child({ component: 'users' }),
      clock,
      (state, catalog, now) => desiredFingerprint(state, catalog, syncDesiredOptions, now),
    );

    // A Cluster connection works for BullMQ too: the `{bull}` prefix keeps each queue's keys in one slot.
    const bull = createBullConnection(conn);
    this.onStop('bullmq connection', () => closeClient(bull));
    // Timers live in the partitions' timer sets; the BullMQ connection only drains the queue of older versions.
    const timers = new Timers(redis, keys, users, this.metrics, log.child({ component: 'timers' }), clock, {
      connection: bull,
      prefix: keys.bullPrefix(),
    });
    users.onTimersCommitted = timers.noteDue;
    this.onStop('timers', () => timers.stop());
    timers.start();

    // PBX connections and the sync pipeline
    const records = new SyncRecords(redis, keys, config.redis.streamMaxLen, clock);
    const syncIndex = new SyncIndex(
      redis,
      keys,
      config.pbx.map((c) => c.id),
      clock,
    );
    const extensions = new ExtensionIndex(redis, keys, log.child({ component: 'extensions' }));
    // Announced before the first lease round, so a duplicate node name is reported before anything is taken.
    const identity = createIdentity(config.ha.nodeName);
    const roster = new DaemonRoster(redis, keys, identity, log.child({ component: 'ha' }), {
      intervalMs: Math.max(200, Math.floor(config.ha.leaseTtlMs / 3)),
      staleMs: config.ha.leaseTtlMs * 3,
      ...(this.options.version ? { version: this.options.version } : {}),
    });
    this.onStop('daemon roster', () => roster.stop());
    await roster.start();
    const pbx = new PbxRegistry(config.pbx, (c) => createAdapter(c, log), {
      redis,
      keys,
      metrics: this.metrics,
      log: log.child({ component: 'pbx' }),
      streamMaxLen: config.redis.streamMaxLen,
      clock,
      identity,
      leaseTtlMs: config.ha.leaseTtlMs,
    });
    const sync = new SyncPipeline(
      bull,
      keys.bullPrefix(),
      {
        redis,
        keys,
        store,
        catalog,
        records,
        adapterOf: (c) => pbx.adapterOf(c),
        metrics: this.metrics,
        log: log.child({ component: 'sync' }),
        clock,
        usersOf: (c) => extensions.usersOf(c),
        notices: new RevertNotices(
          redis,
          keys,
          config.redis.streamMaxLen,
          log.child({ component: 'sync' }),
          clock,
        ),
        blockingClient: (name) => createBlockingClient(conn, log, name),
        consumerName: identity.owner,
      },
      config.pbx.map((c) => c.id),
      config.sync,
    );
    this.onStop('sync queues', () => sync.stop());

    const replanner = new OverageReplanner(store, users, catalog, log.child({ component: 'overage-replan' }));
    const outboxHandlers: OutboxHandler[] = [
      timers.onOutboxEntry,
      extensions.onOutboxEntry,
      sync.onOutboxEntry,
      replanner.onOutboxEntry,
    ];
    const dispatcherClient = createBlockingClient(conn, log, 'outbox-dispatcher');
    const dispatcher = new OutboxDispatcher(
      dispatcherClient,
      keys,
      outboxHandlers,
      log.child({ component: 'outbox' }),
    );
    this.onStop('outbox dispatcher', () => dispatcher.stop());
    await dispatcherClient.connect();
    await dispatcher.start();

    // Webhooks: the holder of the webhook lease queues outbox entries for the endpoints (its own consumer group,
    // so webhooks never hold up PBX sync) and sends them.
    const policy = new TargetPolicy(config.webhooks.allow);
    const endpoints = new EndpointStore(redis, keys, config.webhooks.endpoints, urlCheck(policy), clock);
    const deliveries = new DeliveryStore(redis, keys, config.webhooks.keepDeliveries);
    const webhookLog = log.child({ component: 'webhooks' });
    const fanoutHandler = new WebhookFanout(endpoints, deliveries, webhookLog).onOutboxEntry;
    const startFanout = async (): Promise<FanoutHandle> => {
      const client = createBlockingClient(conn, log, 'webhook-fanout');
      const fanout = new OutboxDispatcher(client, keys, [fanoutHandler], webhookLog, {
        group: 'webhooks',
        startId: '$', // a new installation sends what happens from now on, not the retained history
        consumer: 'fanout',
        idle: async () => (await endpoints.list()).length === 0, // nothing to queue for: skip, not read
      });
      try {
        await client.connect();
        await fanout.start();
      } catch (err) {
        client.disconnect(); // the next lease round tries again with a new connection
        throw err;
      }
      return { stop: () => fanout.stop(), wake: () => fanout.wake() };
    };
    const webhookSubscriber = createBlockingClient(conn, log, 'webhook-wakeup');
    this.onStop('webhook wake-up subscriber', () => closeClient(webhookSubscriber));
    await webhookSubscriber.connect();
    const webhooks = new WebhookDeliverer({
      redis,
      subscriber: webhookSubscriber,
      keys,
      endpoints,
      store: deliveries,
      policy,
      config: config.webhooks,
      metrics: this.metrics,
      log: webhookLog,
      clock,
      owner: identity.owner,
      leaseTtlMs: config.ha.leaseTtlMs,
      startFanout,
    });
    this.onStop('webhook deliverer', () => webhooks.stop());
    await webhooks.start();

    // Connections are taken by lease; the holder runs the adapter and the connection's sync worker.
    this.onStop('pbx connections', () => pbx.stop());
    await pbx.start(
      {
        users,
        store,
        extensions,
        records,
        metrics: this.metrics,
        log: log.child({ component: 'pbx-inbound' }),
        reconcile: (c) => sync.reconcile(c),
        revert: (notice) => sync.revert(notice),
      },
      sync,
    );

    // Real-time events: one outbox reader per process, fanned out to every SSE client (GET /v1/events).
    const eventsLog = log.child({ component: 'events' });
    const events = new EventHub(createBlockingClient(conn, log, 'event-hub'), redis, keys, eventsLog);
    this.onStop('event hub', () => events.stop());
    await events.start();

    // /metrics needs no key: its Redis cost must not grow with the number of scrapers or of keys (status-gauge.ts).
    const refreshStatusGauge = statusGaugeRefresher({
      redis,
      keys,
      statusIds: async () => [...(await catalog.get()).keys()],
      gauge: this.metrics.usersByStatus,
    });
    this.metrics.beforeScrape.push(async () => {
      pbx.check(); // refreshes the PBX connection gauges
      for (const endpoint of await endpoints.list()) {
        const { depth, oldestMs } = await deliveries.backlog(endpoint.id);
        this.metrics.webhookQueueDepth.set({ endpoint: endpoint.id }, depth);
        this.metrics.webhookQueueLag.set(
          { endpoint: endpoint.id },
          oldestMs === null ? 0 : Math.max(0, (Date.now() - oldestMs) / 1000),
        );
      }
      await refreshStatusGauge();
      for (const c of await syncIndex.summary()) {
        this.metrics.syncPendingUsers.set({ pbx: c.connection }, c.pending);
        this.metrics.syncPendingOldest.set({ pbx: c.connection }, c.oldestPendingSeconds);
        this.metrics.syncFailedUsers.set({ pbx: c.connection }, c.failed);
      }
    });
    const health = new Health(redis);
    this.parts = {
      keys,
      users,
      store,
      reportStore,
      statusTypes,
      catalog,
      timers,
      dispatcher,
      sync,
      pbx,
      extensions,
      records,
      webhooks,
      deliveries,
    };
    health.setPbxCheck(() => pbx.check());
    health.setCatalogCheck(() => seedGuard.readiness());
    health.setWorkersCheck(() => {
      const running = { timers: timers.running, dispatcher: dispatcher.isRunning, sync: sync.running };
      return { ok: Object.values(running).every(Boolean), ...running };
    });
    const v1: FastifyPluginAsyncZod[] = [
      statusTypeRoutes({
        statusTypes,
        configReferences: references,
        queueModeFallback: config.sync.queueMode,
      }),
      statusTypeCatalogRoutes({ importer }),
      userRoutes({
        users,
        store,
        catalog,
        defaultShiftStatus: config.status.defaultOnShiftStart,
        heartbeatsPerMinute: config.status.heartbeatsPerMinute,
        clock,
        syncRecord: (id) => records.view(id),
        usersInSyncState: (state) => syncIndex.userIds(state),
      }),
      pbxRoutes({
        report: () => pbx.report(),
        syncCounts: (c) => sync.counts(c),
        capabilities: (id) => capabilitiesOf(config.pbx.find((c) => c.id === id) as PbxConfig),
        roster: () => roster.read(),
      }),
      eventRoutes({
        feed: events,
        session: {
          maxBacklogBytes: config.events.maxBacklogBytes,
          maxHeldBytes: config.events.maxHeldBytes,
          drainTimeoutMs: config.events.drainTimeoutMs,
          replayTimeoutMs: config.events.replayTimeoutMs,
        },
        limits: config.events,
        retryAfterSeconds: config.events.retryAfterSeconds,
        metrics: this.metrics,
      }),
      webhookRoutes({ endpoints, deliveries, changed: () => webhooks.refresh(), clock }),
      reportRoutes({ store: reportStore, catalog, clock, gate: config.reports }),
      meRoutes(),
    ];
    const app = await buildApp({
      log,
      redis,
      keyRing: this.keyRing(),
      health,
      metrics: this.metrics,
      v1,
      root: [consoleRoutes()],
      docs: config.server.docs,
      timeouts: config.server,
      ...(this.options.version ? { version: this.options.version } : {}),
    });
    this.app = app;
    this.onStop('http', async () => {
      health.markStopping();
      await app.close();
    });
    await app.listen({ host: config.server.host, port: config.server.port });
    const base = publicBase(config.server.host, this.address as string);
    log.info(
      {
        address: this.address,
        console: `${base}/console`,
        ...(config.server.docs ? { docs: `${base}/docs` } : {}),
        redis: describeRedis(config.redis),
        embeddedRedis: Boolean(embedded),
      },
      'presence-bridge started',
    );
  }

  /** Stops everything started so far, newest first. Safe to call more than once and after a failed start. */
  stop(): Promise<void> {
    this.stopping ??= this.runStopSteps();
    return this.stopping;
  }

  private async runStopSteps(): Promise<void> {
    // A step may hang when Redis is away (BullMQ's Worker.close() waits for a reconnect that may never come):
    // each gets a share of the shutdown budget, then the next runs; the connection steps at the end disconnect
    // hard, which also releases whatever the hung step was waiting on.
    const budgetMs = Math.max(500, Math.floor(this.options.config.server.shutdownTimeoutMs / 4));
    for (const step of [...this.stopSteps].reverse()) {
      try {
        await withTimeout(step.run(), budgetMs);
      } catch (err) {
        this.options.log.warn({ step: step.name, err: (err as Error).message }, 'stop step failed');
      }
    }
    this.options.log.info('presence-bridge stopped');
  }

  private onStop(name: string, run: () => Promise<unknown>): void {
    this.stopSteps.push({ name, run });
  }

  private keyRing(): KeyRing {
    const { auth } = this.options.config;
    if (auth.keys.length > 0) {
      if (!auth.keys.some((k) => k.role === 'admin')) {
        this.options.log.warn(
          { keys: auth.keys.map((k) => k.name) },
          'no admin key configured: nobody can create status types or manage users; add an admin key to auth.keys or set PB_ADMIN_KEY',
        );
      }
      return new KeyRing(auth.keys);
    }
    const generated = ensureGeneratedAdminKey(auth.generatedKeyFile);
    this.options.log.warn(
      { file: generated.path, created: generated.created },
      'no API keys configured: using a generated admin key kept in this file (configure auth.keys for production)',
    );
    return new KeyRing([generated.key]);
  }
}

/** Where people open the console and docs: the listen address, or this machine when it listens everywhere. */
function publicBase(host: string, address: string): string {
  if (host === '0.0.0.0' || host === '::') return address;
  const port = new URL(address).port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where the daemon's Redis is, for the start-up log (never a password). */
function describeRedis(redis: Config['redis']): string {
  if (redis.cluster) return `cluster ${redis.cluster.nodes.map(redactUrl).join(',')}`;
  if (redis.sentinel) return `sentinel ${redis.sentinel.name}@${redis.sentinel.sentinels.join(',')}`;
  return redactUrl(redis.url);
}

/** redis://user:secret@host → redis://user:***@host, so a password in the URL never reaches the log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** QUIT when Redis answers (flushes replies in flight); otherwise drop the socket: QUIT would wait for a reconnect. */
async function closeClient(client: {
  status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  await withTimeout(client.quit(), 1_000).catch(() => client.disconnect());
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
