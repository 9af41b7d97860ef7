import { z } from 'zod';
import { UUID_PATTERN } from '../../domain/shared/ids.js';
import { Severity } from '../../domain/shared/severity.js';
import { notFound } from '../../domain/shared/errors.js';
import { findAlertWithRawText, listAlerts } from '../../store/alerts/alert.repository.js';
import { QueryTime, withOrderedTimeRange } from '../query-time.js';
import type { RoutePlugin } from '../route-plugin.js';
import { AlertDetail, AlertPage } from './alert.schemas.js';
import { queryInteger } from '../query-integer.js';

const SEVERITY_LIST = new RegExp(`^(${Severity.join('|')})(,(${Severity.join('|')}))*$`);

const ListQuery = withOrderedTimeRange(
  z
    .object({
      /** The alert's own time, from (inclusive) and to (exclusive). */
      from: QueryTime.optional(),
      to: QueryTime.optional(),
      source: z.string().min(1).max(63).optional(),
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

/** GET /alerts (filtered, newest first, cursor-paged) and GET /alerts/{id} (with the raw event). */
export const alertQueryRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/alerts',
    {
      config: { access: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List alerts',
        querystring: ListQuery,
        response: { 200: AlertPage },
      },
    },
    async (request) => {
      const q = request.query;
      return listAlerts(ctx.store.db, {
        from: q.from,
        to: q.to,
        source: q.source,
        severity: q.severity?.split(',') as Severity[] | undefined,
        observable: q.observable,
        caseId: q.caseId,
        cursor: q.cursor,
        limit: q.limit,
      });
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
      const head = JSON.stringify(AlertDetail.omit({ raw: true }).parse(rest));
      const text = `${head.slice(0, -1)}${head === '{}' ? '' : ','}"raw":${found.rawText}}`;
      return reply
        .type('application/json; charset=utf-8')
        .serializer(() => text)
        .send(found.alert);
    },
  );
};
