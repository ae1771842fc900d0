/** /v1/reports: time in status per user over a window, as JSON or a CSV download (README "Reports"). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CatalogCache } from '../../catalog/catalog-cache.js';
import { ApiError } from '../../errors.js';
import { ReportGate, type ReportGateOptions } from '../../reports/report-gate.js';
import { csvFileName, reportCsv } from '../../reports/report-csv.js';
import { TimeInStatusReports } from '../../reports/time-in-status-report.js';
import type { UserStore } from '../../users/user-store.js';
import { authorize, type AccessRule } from '../auth.js';
import { errorResponses } from '../schemas/common.js';
import { timeInStatusQuery, timeInStatusReport } from '../schemas/reports.js';

export interface ReportRoutesDeps {
  store: UserStore;
  catalog: CatalogCache;
  clock?: () => Date;
  /** How many reports may run and wait (config reports.*); see report-gate.ts. */
  gate?: Partial<ReportGateOptions> & { retryAfterSeconds?: number };
}

const REPORT_PAGE_SIZE = 50;

export const REPORT_GATE_DEFAULTS: ReportGateOptions = {
  maxConcurrent: 2,
  maxQueued: 4,
  queueTimeoutMs: 10_000,
};

const REPORT_READERS: AccessRule = { roles: ['admin', 'supervisor'] };

export const reportRoutes =
  (deps: ReportRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Small pages: each page's reads and arithmetic are one uninterrupted stretch of the event loop (see everyUser).
    const reports = new TimeInStatusReports(deps.store, deps.catalog, deps.clock, REPORT_PAGE_SIZE);
    const gate = new ReportGate({ ...REPORT_GATE_DEFAULTS, ...deps.gate });
    const retryAfter = String(deps.gate?.retryAfterSeconds ?? 5);

    app.get(
      '/reports/time-in-status',
      {
        // Checked before the query is validated: a key that may not read reports gets 403 whatever it asks.
        config: { access: REPORT_READERS },
        schema: {
          tags: ['reports'],
          security: [{ bearer: [] }],
          summary: 'Time in status per user and status over [from, to) (JSON, or CSV with format=csv)',
          querystring: timeInStatusQuery,
          produces: ['application/json', 'text/csv'],
          response: { 200: timeInStatusReport, ...errorResponses(404, 429) },
        },
      },
      async (request, reply) => {
        authorize(request, REPORT_READERS);
        const { format, ...window } = request.query;
        const report = await gate
          .run(() => reports.build(window))
          .catch((err: unknown) => {
            if (err instanceof ApiError && err.code === 'REPORTS_BUSY')
              reply.header('retry-after', retryAfter);
            throw err;
          });
        if (format === 'json') return report;
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${csvFileName(report)}"`)
            // The typed reply knows only the JSON shape; a string with a non-JSON content type is sent as is.
            .send(reportCsv(report) as never)
        );
      },
    );
  };
