import { z } from 'zod';
import {
  addCaseComment,
  addCaseTask,
  applyTaskTemplate,
  setObservableTags,
  setObservableVerdict,
  updateCaseTask,
} from '../../app/cases/case-commands.js';
import { saveCaseReview } from '../../app/cases/case-review-commands.js';
import { runCaseCommand } from '../../app/cases/case-service.js';
import { notFound } from '../../domain/shared/errors.js';
import { actorOf } from '../../governance/principal.js';
import { listCaseAlerts, listCaseObservables } from '../../store/cases/case-query.repository.js';
import { findCaseReview } from '../../store/cases/case-review.repository.js';
import { listCaseTasks } from '../../store/cases/case-task.repository.js';
import { findCaseById } from '../../store/cases/case.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import {
  CASE_ALERTS_LIMIT,
  CaseAlertBody,
  CaseEventBody,
  CaseObservableBody,
  CaseParams,
  CaseTaskParams,
  CommentBody,
  NewTaskBody,
  ObservableTagsBody,
  ReviewBody,
  ReviewInputBody,
  TaskBody,
  TaskPatchBody,
  TemplateBody,
  VerdictBody,
} from './case.schemas.js';

/** The work inside a case: tasks, comments, observables and verdicts, alerts, the post-incident review. */
export const caseWorkRoutes: RoutePlugin = async (app, ctx) => {
  const mustExist = async (id: string): Promise<void> => {
    if (!(await findCaseById(ctx.store.db, id))) throw notFound('case', id);
  };

  app.get(
    '/cases/:id/tasks',
    {
      config: { access: 'cases:read' },
      schema: { tags: ['cases'], params: CaseParams, response: { 200: z.array(TaskBody) } },
    },
    async (request) => {
      await mustExist(request.params.id);
      return listCaseTasks(ctx.store.db, request.params.id);
    },
  );

  app.post(
    '/cases/:id/tasks',
    {
      config: { access: 'cases:write' },
      schema: { tags: ['cases'], params: CaseParams, body: NewTaskBody, response: { 201: TaskBody } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const actor = actorOf(principalOf(request));
      const task = await runCaseCommand(ctx, [id], (trx, deps, now) =>
        addCaseTask(trx, deps, { caseId: id, ...request.body, actor }, now),
      );
      return reply.status(201).send(task);
    },
  );

  app.post(
    '/cases/:id/tasks/templates',
    {
      config: { access: 'cases:write' },
      schema: {
        tags: ['cases'],
        params: CaseParams,
        body: TemplateBody,
        response: { 200: z.array(TaskBody) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const actor = actorOf(principalOf(request));
      return runCaseCommand(ctx, [id], (trx, deps, now) =>
        applyTaskTemplate(trx, deps, { caseId: id, caseType: request.body.caseType, actor }, now),
      );
    },
  );

  app.patch(
    '/cases/:id/tasks/:taskId',
    {
      config: { access: 'cases:write' },
      schema: { tags: ['cases'], params: CaseTaskParams, body: TaskPatchBody, response: { 200: TaskBody } },
    },
    async (request) => {
      const { id, taskId } = request.params;
      const actor = actorOf(principalOf(request));
      return runCaseCommand(ctx, [id], (trx, deps, now) =>
        updateCaseTask(trx, deps, { caseId: id, taskId, patch: request.body, actor }, now),
      );
    },
  );

  app.post(
    '/cases/:id/comments',
    {
      config: { access: 'cases:write' },
      schema: { tags: ['cases'], params: CaseParams, body: CommentBody, response: { 201: CaseEventBody } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const actor = actorOf(principalOf(request));
      const result = await runCaseCommand(ctx, [id], (trx, deps, now) =>
        addCaseComment(trx, deps, { caseId: id, body: request.body.body, actor }, now),
      );
      return reply.status(201).send(result.event);
    },
  );

  app.get(
    '/cases/:id/observables',
    {
      config: { access: 'cases:read' },
      schema: { tags: ['cases'], params: CaseParams, response: { 200: z.array(CaseObservableBody) } },
    },
    async (request) => {
      await mustExist(request.params.id);
      return listCaseObservables(ctx.store.db, request.params.id);
    },
  );

  app.post(
    '/cases/:id/observables/verdicts',
    {
      config: { access: 'cases:write' },
      schema: {
        tags: ['cases'],
        params: CaseParams,
        body: VerdictBody,
        response: { 200: z.object({ observableId: z.string(), event: CaseEventBody.nullable() }) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { type, value, verdict, source } = request.body;
      const actor = actorOf(principalOf(request));
      return runCaseCommand(ctx, [id], (trx, deps, now) =>
        setObservableVerdict(
          trx,
          deps,
          { caseId: id, observable: { type, value }, verdict, source, actor },
          now,
        ),
      );
    },
  );

  app.put(
    '/cases/:id/observables/tags',
    {
      config: { access: 'cases:write' },
      schema: {
        tags: ['cases'],
        description: "Replaces an observable's tags; the observable is attached to this case.",
        params: CaseParams,
        body: ObservableTagsBody,
        response: {
          200: z.object({
            observableId: z.string(),
            tags: z.array(z.string()),
            event: CaseEventBody.nullable(),
          }),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { type, value, tags } = request.body;
      const actor = actorOf(principalOf(request));
      return runCaseCommand(ctx, [id], (trx, deps, now) =>
        setObservableTags(trx, deps, { caseId: id, observable: { type, value }, tags, actor }, now),
      );
    },
  );

  app.get(
    '/cases/:id/alerts',
    {
      config: { access: 'alerts:read' },
      schema: {
        tags: ['cases'],
        description:
          `The case's newest alerts, at most ${CASE_ALERTS_LIMIT}, with why each joined it. The header ` +
          '`x-total-count` says how many the case holds; GET /alerts?caseId= pages through them all.',
        params: CaseParams,
        response: { 200: z.array(CaseAlertBody) },
      },
    },
    async (request, reply) => {
      await mustExist(request.params.id);
      const { items, total } = await listCaseAlerts(ctx.store.db, request.params.id, CASE_ALERTS_LIMIT);
      // A header, so the answer stays the array clients already read.
      return reply.header('x-total-count', String(total)).send(items);
    },
  );

  app.get(
    '/cases/:id/review',
    {
      config: { access: 'cases:read' },
      schema: { tags: ['cases'], params: CaseParams, response: { 200: ReviewBody } },
    },
    async (request) => {
      const review = await findCaseReview(ctx.store.db, request.params.id);
      if (!review) throw notFound('review of case', request.params.id);
      return review;
    },
  );

  app.put(
    '/cases/:id/review',
    {
      config: { access: 'cases:write' },
      schema: { tags: ['cases'], params: CaseParams, body: ReviewInputBody, response: { 200: ReviewBody } },
    },
    async (request) => {
      const { id } = request.params;
      const actor = actorOf(principalOf(request));
      return runCaseCommand(ctx, [id], (trx, deps, now) =>
        saveCaseReview(trx, deps, { caseId: id, ...request.body, actor }, now),
      );
    },
  );
};
