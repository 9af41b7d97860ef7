import { z } from 'zod';
import { buildResponseReport, ResponseGroupBy } from '../../app/cases/response-report.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { QueryTime, withOrderedTimeRange } from '../query-time.js';
import type { ApiContext, ApiInstance, RoutePlugin } from '../route-plugin.js';
import { renderPrometheus } from './prometheus-text.js';

const DAY = 86_400_000;

const Metrics = z.object({
  cases: z.number(),
  acknowledged: z.number(),
  contained: z.number(),
  closed: z.number(),
  falsePositives: z.number(),
  falsePositiveRate: z.number().nullable(),
  mttaMs: z.number().nullable(),
  mttcMs: z.number().nullable(),
  mttrMs: z.number().nullable(),
  /** Cases merged into another: left out of the counts and means above. */
  merged: z.number(),
});

const ResponseQuery = withOrderedTimeRange(
  z
    .object({
      from: QueryTime.optional(),
      to: QueryTime.optional(),
      group_by: z.enum(ResponseGroupBy).default('none'),
    })
    .strict(),
);

const ResponseReportBody = z.object({
  from: z.number(),
  to: z.number(),
  groupBy: z.enum(ResponseGroupBy),
  total: Metrics,
  groups: z.array(Metrics.extend({ key: z.string() })),
  openCases: z.array(z.object({ severity: z.string(), ageBucket: z.string(), count: z.number() })),
  alertsPerSource: z.array(z.object({ source: z.string(), count: z.number() })),
  falsePositivesPerRule: z.array(
    z.object({
      product: z.string().nullable(),
      ruleId: z.string().nullable(),
      ruleName: z.string().nullable(),
      closed: z.number(),
      falsePositives: z.number(),
      rate: z.number().nullable(),
    }),
  ),
});

const prometheusHandler = (ctx: ApiContext) => async () => {
  const now = ctx.clock.now();
  const report = await buildResponseReport(ctx, { from: now - 30 * DAY, to: now, groupBy: 'none' });
  return renderPrometheus(report, ctx.counters.read());
};

/** Registers the Prometheus scrape endpoint at `url` (the lead mounts it at the root as `/metrics`). */
export function registerPrometheusRoute(app: ApiInstance, ctx: ApiContext, url: string): void {
  app.get(
    url,
    {
      config: { access: 'metrics:read' },
      schema: { tags: ['metrics'], description: 'Prometheus text format.' },
    },
    async (_request, reply) => {
      const text = await prometheusHandler(ctx)();
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    },
  );
}

/** Response metrics from the case event log: JSON at /metrics/response, Prometheus text at /metrics/prometheus. */
export const metricsRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/metrics/response',
    {
      config: { access: 'metrics:read' },
      schema: {
        tags: ['metrics'],
        description:
          'MTTA, MTTC, MTTR and rates for cases created in [from, to) (epoch ms or ISO 8601; default: last 30 days).',
        querystring: ResponseQuery,
        response: { 200: ResponseReportBody },
      },
    },
    async (request) => {
      const to = request.query.to ?? ctx.clock.now();
      const from = request.query.from ?? to - 30 * DAY;
      if (from >= to) {
        throw new RiposteError('RIPOSTE_VALIDATION', 'from must be before to', {
          details: [{ path: 'querystring.from', message: `${from} is not before ${to}` }],
        });
      }
      if (to - from > 400 * DAY) {
        throw new RiposteError('RIPOSTE_VALIDATION', 'the range may span at most 400 days', {
          details: [{ path: 'querystring.to', message: 'range too long' }],
        });
      }
      return buildResponseReport(ctx, { from, to, groupBy: request.query.group_by });
    },
  );
  registerPrometheusRoute(app, ctx, '/metrics/prometheus');
};

/** The scrape endpoint at the server root (`GET /metrics`), for `buildServer` to register outside /api/v1. */
export const prometheusRootRoutes: RoutePlugin = async (app, ctx) =>
  registerPrometheusRoute(app, ctx, '/metrics');
