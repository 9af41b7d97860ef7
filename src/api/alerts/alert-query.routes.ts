import { z } from 'zod';
import { SourceName } from '../../app/ingest/ingest-sources.js';
import { UUID_PATTERN } from '../../domain/shared/ids.js';
import { Severity } from '../../domain/shared/severity.js';
import { notFound } from '../../domain/shared/errors.js';
import { rolesAllow } from '../../governance/permissions.js';
import { findAlertWithRawText, listAlerts } from '../../store/alerts/alert.repository.js';
import { listCaseSummaries, type CaseSummary } from '../../store/cases/case-query.repository.js';
import { principalOf } from '../auth/authorize.js';
import { QueryTime, withOrderedTimeRange } from '../query-time.js';
import type { ApiContext, RoutePlugin } from '../route-plugin.js';
import { AlertDetail, AlertPage } from './alert.schemas.js';
import { queryInteger } from '../query-integer.js';

const SEVERITY_LIST = new RegExp(`^(${Severity.join('|')})(,(${Severity.join('|')}))*$`);

const ListQuery = withOrderedTimeRange(
  z
    .object({
      /** The alert's own time, from (inclusive) and to (exclusive). */
      from: QueryTime.optional(),
      to: QueryTime.optional(),
      // A name no source can have matches nothing: refused as ingest refuses it, not answered with an empty page.
      source: SourceName.optional(),
      severity: z
        .string()
        .regex(SEVERITY_LIST, `a comma-separated list of ${Severity.join(', ')}`)
        .optional(),
      /** An observable's value, in any form ingest would store as it (`Evil[.]example.COM`). */
      observable: z.string().min(1).max(2048).optional(),
      caseId: z.string().min(1).max(64).optional(),
      // The nextCursor of the page before: the last alert's id, as clients already hold it. Anything else
      // would be compared with the ids as a position (garbage sorts after them all and restarts the walk;
      // a cut-off id skips alerts), so only an id's shape is taken.
      cursor: z.string().regex(UUID_PATTERN, 'the nextCursor of an earlier page').optional(),
      limit: queryInteger(1, 500).default(50),
    })
    // A misspelt filter (`severty=`), like an empty one (`source=`, hence the min(1)s), was ignored: every
    // alert was listed as if it matched.
    .strict(),
);

/**
 * The alerts, each with its case's summary (`case`) when the caller may read cases: one query for all their
 * cases, so a page of alerts in 30 cases costs the client no 30 case reads. Listing alerts needs only
 * alerts:read, so without cases:read the answer names each case by id alone, as it always did.
 */
async function withCaseSummaries<A extends { caseId: string | null }>(
  ctx: ApiContext,
  mayReadCases: boolean,
  alerts: readonly A[],
): Promise<Array<A & { case?: CaseSummary }>> {
  if (!mayReadCases) return [...alerts];
  const ids = alerts.flatMap((a) => (a.caseId ? [a.caseId] : []));
  const cases = new Map((await listCaseSummaries(ctx.store.db, ids)).map((c) => [c.id, c]));
  return alerts.map((a) => {
    const kase = a.caseId ? cases.get(a.caseId) : undefined;
    return kase ? { ...a, case: kase } : a;
  });
}

/** GET /alerts (filtered, newest first, cursor-paged) and GET /alerts/{id} (with the raw event). */
export const alertQueryRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/alerts',
    {
      config: { access: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List alerts',
        description:
          'Each alert in a case carries `case` (its number, title, status and severity) when the caller ' +
          'may read cases; all of a page’s cases are read in one query.',
        querystring: ListQuery,
        response: { 200: AlertPage },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listAlerts(ctx.store.db, {
        from: q.from,
        to: q.to,
        source: q.source,
        severity: q.severity?.split(',') as Severity[] | undefined,
        observable: q.observable,
        caseId: q.caseId,
        cursor: q.cursor,
        limit: q.limit,
      });
      const mayReadCases = rolesAllow(principalOf(request).roles, 'cases:read');
      return { ...page, alerts: await withCaseSummaries(ctx, mayReadCases, page.alerts) };
    },
  );
  app.get(
    '/alerts/:id',
    {
      config: { access: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'One alert, with its raw event',
        params: z.object({ id: z.string().max(64) }),
        response: { 200: AlertDetail },
      },
    },
    async (request, reply) => {
      const found = await findAlertWithRawText(ctx.store.db, request.params.id);
      if (!found) throw notFound('alert', request.params.id);
      // The raw event as stored, not parsed and written again: that would round a 64-bit flow id and rewrite
      // numbers (1.10 as 1.1), and the raw event is the evidence of what the source sent.
      const { raw: _parsed, ...rest } = found.alert;
      const mayReadCases = rolesAllow(principalOf(request).roles, 'cases:read');
      const [shown] = await withCaseSummaries(ctx, mayReadCases, [rest]);
      const head = JSON.stringify(AlertDetail.omit({ raw: true }).parse(shown));
      const text = `${head.slice(0, -1)}${head === '{}' ? '' : ','}"raw":${found.rawText}}`;
      return reply
        .type('application/json; charset=utf-8')
        .serializer(() => text)
        .send(found.alert);
    },
  );
};
