import { Readable } from 'node:stream';
import { z } from 'zod';
import { auditSignerOf, writeAuditCheckpoint } from '../../app/audit/audit-checkpoint.service.js';
import { exportAuditNdjson, queryAudit } from '../../app/audit/audit-query.service.js';
import { verifyAuditLog } from '../../app/audit/audit-verify.service.js';
import { principalOf } from '../auth/authorize.js';
import { QueryTime, withOrderedTimeRange } from '../query-time.js';
import type { RoutePlugin } from '../route-plugin.js';
import { queryInteger } from '../query-integer.js';

/** How often the API process signs the chain's head (when it moved). */
export const CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;

const Filter = z
  .object({
    actor: z.string().max(200).optional(),
    actorType: z.enum(['user', 'token', 'system']).optional(),
    action: z.string().max(100).optional(),
    targetType: z.string().max(100).optional(),
    targetId: z.string().max(200).optional(),
    outcome: z.enum(['success', 'denied', 'failure']).optional(),
    // Read as the alert list reads them: `from=` was 0 and `to=` ended the range at 1970.
    from: QueryTime.optional(),
    to: QueryTime.optional(),
  })
  .strict();

const Entry = z.object({
  seq: z.number(),
  at: z.number(),
  actor: z.object({ type: z.string(), id: z.string(), name: z.string() }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  outcome: z.string(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

const toFilter = (q: z.infer<typeof Filter>) => ({
  ...(q.actor !== undefined && { actorId: q.actor }),
  ...(q.actorType !== undefined && { actorType: q.actorType }),
  ...(q.action !== undefined && { action: q.action }),
  ...(q.targetType !== undefined && { targetType: q.targetType }),
  ...(q.targetId !== undefined && { targetId: q.targetId }),
  ...(q.outcome !== undefined && { outcome: q.outcome }),
  ...(q.from !== undefined && { from: q.from }),
  ...(q.to !== undefined && { to: q.to }),
});

/** The audit log: query, NDJSON export, verification; and the periodic signed checkpoint. */
export const auditRoutes: RoutePlugin = async (app, ctx) => {
  const timer = setInterval(() => {
    writeAuditCheckpoint(ctx).catch((err: unknown) =>
      ctx.log.error({ err }, 'could not sign an audit checkpoint'),
    );
  }, CHECKPOINT_INTERVAL_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  app.get(
    '/audit',
    {
      config: { access: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Query the audit log, oldest first; follow nextCursor for more',
        querystring: withOrderedTimeRange(
          Filter.extend({
            cursor: z.string().max(100).optional(),
            limit: queryInteger(1, 1000).default(100),
          }),
        ),
        response: { 200: z.object({ items: z.array(Entry), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const { cursor, limit, ...filter } = request.query;
      return queryAudit(ctx, principalOf(request), toFilter(filter), {
        ...(cursor ? { cursor } : {}),
        limit,
      });
    },
  );

  app.get(
    '/audit/export',
    {
      config: { access: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Export matching entries as NDJSON (one entry a line)',
        querystring: withOrderedTimeRange(Filter),
      },
    },
    async (request, reply) => {
      const lines = exportAuditNdjson(ctx, principalOf(request), toFilter(request.query));
      reply.type('application/x-ndjson; charset=utf-8');
      reply.header('content-disposition', 'attachment; filename="riposte-audit.ndjson"');
      return reply.send(Readable.from(lines));
    },
  );

  app.get(
    '/audit/verify',
    {
      config: { access: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Verify the hash chain and signed checkpoints; says where it breaks',
        response: {
          200: z.object({
            ok: z.boolean(),
            entriesChecked: z.number(),
            archivedEntriesChecked: z.number(),
            checkpointsChecked: z.number(),
            lastSeq: z.number(),
            problems: z.array(z.object({ seq: z.number(), reason: z.string(), message: z.string() })),
          }),
        },
      },
    },
    async () => verifyAuditLog(ctx.store.db, { signer: auditSignerOf(ctx) }),
  );
};
