/**
 * All Prometheus metrics in one registry, created once and injected. Names follow Prometheus conventions
 * (base units, _total for counters). Labels are bounded sets (route templates, causes, status ids), never user ids.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pb_' });
  const httpDuration = new Histogram({
    name: 'pb_http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: 'pb_redis_errors_total',
    help: 'Redis commands that failed because Redis was unreachable or slow',
    registers: [registry],
  });
  const statusChanges = new Counter({
    name: 'pb_status_changes_total',
    help: 'Applied status changes by cause',
    labelNames: ['cause'] as const,
    registers: [registry],
  });
  const deferredApplied = new Counter({
    name: 'pb_deferred_applied_total',
    help: 'Upcoming statuses applied automatically when the last activity ended',
    registers: [registry],
  });
  const usersByStatus = new Gauge({
    name: 'pb_users_by_status',
    help: 'Users currently in each status type',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const commitRetries = new Counter({
    name: 'pb_commit_conflicts_total',
    help: 'State commits retried because another writer changed the user first',
    registers: [registry],
  });
  const timerLag = new Histogram({
    name: 'pb_timer_lag_seconds',
    help: 'Delay between a timer being due and it being processed',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
    registers: [registry],
  });
  const timerRetries = new Counter({
    name: 'pb_timer_retries_total',
    help: 'Timers whose handling failed (Redis away, races lost, errors) and that are retried',
    registers: [registry],
  });
  const timerDropped = new Counter({
    name: 'pb_timer_dropped_total',
    help: 'Timers dropped because their command was refused (a 4xx other than a conflict; logged)',
    registers: [registry],
  });
  const syncJobs = new Counter({
    name: 'pb_sync_jobs_total',
    help: 'PBX sync jobs by connection and outcome (in-sync, superseded by a newer change, retry, failed)',
    labelNames: ['pbx', 'outcome'] as const,
    registers: [registry],
  });
  const syncPendingUsers = new Gauge({
    name: 'pb_sync_pending_users',
    help: 'Users whose PBX sync is pending (a committed change not yet applied), by connection',
    labelNames: ['pbx'] as const,
    registers: [registry],
  });
  const syncPendingOldest = new Gauge({
    name: 'pb_sync_pending_oldest_seconds',
    help: 'How long the longest-pending user of a connection has been pending (0: none pending)',
    labelNames: ['pbx'] as const,
    registers: [registry],
  });
  const syncFailedUsers = new Gauge({
    name: 'pb_sync_failed_users',
    help: 'Users whose PBX sync failed (retry budget spent or a permanent error), by connection',
    labelNames: ['pbx'] as const,
    registers: [registry],
  });
  const pbxConnected = new Gauge({
    name: 'pb_pbx_connected',
    help: '1 when the PBX connection is up',
    labelNames: ['pbx', 'kind'] as const,
    registers: [registry],
  });
  const leaseChanges = new Counter({
    name: 'pb_pbx_lease_changes_total',
    help: 'PBX connection leases acquired, lost or released by this daemon',
    labelNames: ['pbx', 'event'] as const,
    registers: [registry],
  });
  const eventToApply = new Histogram({
    name: 'pb_pbx_event_to_apply_seconds',
    help: 'Latency from a PBX event arriving to its status change being committed',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Webhooks: counted by the daemon that delivers (the webhook lease holder); the queue gauges by every daemon.
  const webhookDeliveries = new Counter({
    name: 'pb_webhook_deliveries_total',
    help: 'Webhook deliveries finished, by endpoint and outcome (delivered, failed after the retry window)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'pb_webhook_attempts_total',
    help: 'Webhook attempts by endpoint and outcome (success, http, timeout, network, forbidden)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const webhookLag = new Histogram({
    name: 'pb_webhook_delivery_lag_seconds',
    help: 'From an event being committed to its webhook being accepted by the endpoint (2xx)',
    labelNames: ['endpoint'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
    registers: [registry],
  });
  const webhookQueueDepth = new Gauge({
    name: 'pb_webhook_queue_depth',
    help: 'Webhook deliveries queued or being attempted, by endpoint',
    labelNames: ['endpoint'] as const,
    registers: [registry],
  });
  const webhookQueueLag = new Gauge({
    name: 'pb_webhook_lag_seconds',
    help: 'Age of the oldest webhook delivery not yet finished, by endpoint (0 when none waits)',
    labelNames: ['endpoint'] as const,
    registers: [registry],
  });
  const sseSessions = new Gauge({
    name: 'pb_sse_sessions',
    help: 'Open SSE streams (GET /v1/events) on this daemon',
    registers: [registry],
  });
  const sseReplays = new Gauge({
    name: 'pb_sse_replays',
    help: 'SSE streams catching up after Last-Event-ID right now',
    registers: [registry],
  });
  const sseCutOffs = new Counter({
    name: 'pb_sse_cutoffs_total',
    help: 'SSE clients disconnected for not keeping up, by reason (backlog, drain-timeout, replay-timeout)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const sseRefused = new Counter({
    name: 'pb_sse_refused_total',
    help: 'SSE streams refused with 429 TOO_MANY_STREAMS, by limit reached',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  /** Refreshers run just before each scrape, for gauges that are read from Redis rather than counted. */
  const beforeScrape: Array<() => Promise<void>> = [];
  return {
    beforeScrape,
    registry,
    httpDuration,
    redisErrors,
    statusChanges,
    deferredApplied,
    usersByStatus,
    commitRetries,
    timerLag,
    timerRetries,
    timerDropped,
    syncJobs,
    syncPendingUsers,
    syncPendingOldest,
    syncFailedUsers,
    pbxConnected,
    leaseChanges,
    eventToApply,
    webhookDeliveries,
    webhookAttempts,
    webhookLag,
    webhookQueueDepth,
    webhookQueueLag,
    sseSessions,
    sseReplays,
    sseCutOffs,
    sseRefused,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
