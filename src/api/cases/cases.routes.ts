import { z } from 'zod';
import { changeCaseStatus, mergeCases, moveAlert, updateCase } from '../../app/cases/case-commands.js';
import { getCaseDetail, openCaseByHand, runCaseCommand } from '../../app/cases/case-service.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import { rolesAllow } from '../../governance/permissions.js';
import { actorOf } from '../../governance/principal.js';
import { listCases, listTimeline } from '../../store/cases/case-query.repository.js';
import { findCaseById } from '../../store/cases/case.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import { registerEvidenceRoutes } from './case-evidence.routes.js';
import { DEFAULT_STREAM_OPTIONS, registerStreamRoutes, type StreamOptions } from './case-stream.routes.js';
import { DEFAULT_EVIDENCE_LIMITS, type EvidenceLimits } from '../../app/cases/case-evidence.service.js';
import { caseWorkRoutes } from './case-work.routes.js';
import { slaPolicyRoutes } from './sla-policies.routes.js';
import {
  CaseBody,
  CaseDetailBody,
  CaseListQuery,
  CasePageBody,
  CaseParams,
  CasePatchBody,
  MergeBody,
  MoveAlertBody,
  NewCaseBody,
  TimelineBody,
  TimelineQuery,
  TransitionBody,
} from './case.schemas.js';

const csv = (value: string | undefined): string[] | undefined => value?.split(',');

export interface CaseRoutesOptions {
  evidence?: EvidenceLimits;
  stream?: StreamOptions;
}

/**
 * Cases: list and search, open, read, change, move along the lifecycle, merge, take alerts, timeline, and
 * (in their own files) the work inside a case, evidence and the SSE stream.
 */
export function createCaseRoutes(options: CaseRoutesOptions = {}): RoutePlugin {
  return async (app, ctx) => {
    await registerCaseRoutes(app, ctx);
    await caseWorkRoutes(app, ctx);
    await registerEvidenceRoutes(app, ctx, options.evidence ?? DEFAULT_EVIDENCE_LIMITS);
    await registerStreamRoutes(app, ctx, options.stream ?? DEFAULT_STREAM_OPTIONS);
    await slaPolicyRoutes(app, ctx);
  };
}

export const caseRoutes: RoutePlugin = createCaseRoutes();

const registerCaseRoutes: RoutePlugin = async (app, ctx) => {
  app.get(
    '/cases',
    {
      config: { access: 'cases:read' },
      schema: { tags: ['cases'], querystring: CaseListQuery, response: { 200: CasePageBody } },
    },
    async (request) => {
      const q = request.query;
      return listCases(
        ctx.store.db,
        {
          status: csv(q.status),
          severity: csv(q.severity),
          assignee: q.assignee,
          tag: q.tag,
          observable: q.observable,
          text: q.q,
        },
        { cursor: q.cursor, limit: q.limit },
        ctx.store.dialect,
      );
    },
  );

  app.post(
    '/cases',
    {
      config: { access: 'cases:write' },
      schema: { tags: ['cases'], body: NewCaseBody, response: { 201: CaseBody } },
    },
    async (request, reply) => {
      const kase = await openCaseByHand(ctx, { ...request.body, actor: actorOf(principalOf(request)) });
      return reply.status(201).send(kase);
    },
  );

  app.get(
    '/cases/:id',
    {
      config: { access: 'cases:read' },
      schema: { tags: ['cases'], params: CaseParams, response: { 200: CaseDetailBody } },
    },
    async (request) => getCaseDetail(ctx, request.params.id),
  );

  app.patch(
    '/cases/:id',
    {
      config: { access: 'cases:write' },
      schema: { tags: ['cases'], params: CaseParams, body: CasePatchBody, response: { 200: CaseBody } },
    },
    async (request) => {
      const { id } = request.params;
      const actor = actorOf(principalOf(request));
      const result = await runCaseCommand(ctx, [id], (trx, deps, now) =>
        updateCase(trx, deps, { caseId: id, patch: request.body, actor }, now),
      );
      return result.case;
    },
  );

  app.post(
    '/cases/:id/transitions',
    {
      config: { access: 'cases:write' },
      schema: { tags: ['cases'], params: CaseParams, body: TransitionBody, response: { 200: CaseBody } },
    },
    async (request) => {
      const principal = principalOf(request);
      // Closing is its own permission: a responder may work a case without being allowed to end it.
      if (request.body.to === 'closed' && !rolesAllow(principal.roles, 'cases:close')) {
        throw new RiposteError(
          'RIPOSTE_FORBIDDEN',
          `${principal.name} may not close cases: it needs cases:close`,
        );
      }
      const { id } = request.params;
      const result = await runCaseCommand(ctx, [id], (trx, deps, now) =>
        changeCaseStatus(trx, deps, { caseId: id, ...request.body, actor: actorOf(principal) }, now),
      );
      return result.case;
    },
  );

  app.post(
    '/cases/:id/merge',
    {
      config: { access: 'cases:write' },
      schema: {
        tags: ['cases'],
        description: 'Merges the case `mergedId` into this one (the survivor).',
        params: CaseParams,
        body: MergeBody,
        response: {
          200: z.object({
            survivor: CaseBody,
            merged: CaseBody,
            moved: z.object({
              alerts: z.number(),
              observables: z.number(),
              tasks: z.number(),
              evidence: z.number(),
            }),
          }),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { mergedId } = request.body;
      const actor = actorOf(principalOf(request));
      return runCaseCommand(ctx, [id, mergedId], (trx, deps, now) =>
        mergeCases(trx, deps, { survivorId: id, mergedId, actor }, now),
      );
    },
  );

  app.post(
    '/cases/:id/alerts',
    {
      config: { access: 'cases:write' },
      schema: {
        tags: ['cases'],
        description: 'Moves an alert (with its observables) into this case.',
        params: CaseParams,
        body: MoveAlertBody,
        response: { 200: z.object({ fromCaseId: z.string().nullable(), toCaseId: z.string() }) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const actor = actorOf(principalOf(request));
      const result = await runCaseCommand(ctx, [id], (trx, deps, now) =>
        moveAlert(trx, deps, { alertId: request.body.alertId, toCaseId: id, actor }, now),
      );
      if (result.fromCaseId)
        await ctx.store.notifier.notify(`case:${result.fromCaseId}`).catch(() => undefined);
      return result;
    },
  );

  app.get(
    '/cases/:id/timeline',
    {
      config: { access: 'cases:read' },
      schema: {
        tags: ['cases'],
        params: CaseParams,
        querystring: TimelineQuery,
        response: { 200: TimelineBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await findCaseById(ctx.store.db, id))) throw notFound('case', id);
      const items = await listTimeline(ctx.store.db, id, {
        afterId: request.query.after,
        limit: request.query.limit,
      });
      const last = items.at(-1);
      return { items, nextAfter: items.length === request.query.limit && last ? last.id : null };
    },
  );
};
