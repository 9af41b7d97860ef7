import { z } from 'zod';
import { LATEST_TIME } from '../../domain/shared/clock.js';
import { Severity } from '../../domain/shared/severity.js';
import { RiposteError, notFound } from '../../domain/shared/errors.js';
import { findAlertById, listAlerts } from '../../store/alerts/alert.repository.js';
import type { RoutePlugin } from '../route-plugin.js';
import { AlertDetail, AlertPage } from './alert.schemas.js';

const SEVERITY_LIST = new RegExp(`^(${Severity.join('|')})(,(${Severity.join('|')}))*$`);

const ListQuery = z.object({
  /** ISO 8601 or ms since the epoch; the alert's own time. */
  from: z.string().optional(),
  to: z.string().optional(),
  source: z.string().max(63).optional(),
  severity: z
    .string()
    .regex(SEVERITY_LIST, `a comma-separated list of ${Severity.join(', ')}`)
    .optional(),
  observable: z.string().max(2048).optional(),
  caseId: z.string().max(64).optional(),
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

function parseInstant(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new RiposteError('RIPOSTE_VALIDATION', `querystring.${name}: not a time`, {
      details: [{ path: `querystring.${name}`, message: 'expected ISO 8601 or epoch milliseconds' }],
    });
  }
  // Beyond these no alert's time lies, and PostgreSQL refused a number past bigint's range with a 500.
  if (ms < 0 || ms > LATEST_TIME) {
    throw new RiposteError('RIPOSTE_VALIDATION', `querystring.${name}: out of range`, {
      details: [{ path: `querystring.${name}`, message: 'expected a time between 1970 and 9999' }],
    });
  }
  return ms;
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
        querystring: ListQuery,
        response: { 200: AlertPage },
      },
    },
    async (request) => {
      const q = request.query;
      return listAlerts(ctx.store.db, {
        from: parseInstant(q.from, 'from'),
        to: parseInstant(q.to, 'to'),
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
    async (request) => {
      const alert = await findAlertById(ctx.store.db, request.params.id);
      if (!alert) throw notFound('alert', request.params.id);
      return alert;
    },
  );
};
