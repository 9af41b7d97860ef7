import { z } from 'zod';
import { createRunServices, getRunDetail } from '../../app/playbooks/run-control.js';
import { actorOf } from '../../governance/principal.js';
import { listRuns } from '../../store/runs/run.repository.js';
import type { RunRow } from '../../store/runs/run.table.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import { queryInteger } from '../query-integer.js';

const Run = z.object({
  id: z.string(),
  playbookId: z.string(),
  version: z.number(),
  status: z.string(),
  triggerType: z.string(),
  caseId: z.string().nullable(),
  alertId: z.string().nullable(),
  parentRunId: z.string().nullable(),
  dryRun: z.boolean(),
  errorCode: z.string().nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
});
const Step = z.object({
  stepId: z.string(),
  stepPath: z.string(),
  attempt: z.number(),
  kind: z.string(),
  name: z.string(),
  status: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  outputRef: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: z.number(),
  finishedAt: z.number(),
});
const RunEvent = z.object({
  at: z.number(),
  type: z.string(),
  stepId: z.string().nullable(),
  stepPath: z.string().nullable(),
  data: z.unknown(),
});
const IdParams = z.object({ id: z.string() });

const runOf = (r: RunRow): z.infer<typeof Run> => ({
  id: r.id,
  playbookId: r.playbook_id,
  version: r.version,
  status: r.status,
  triggerType: r.trigger_type,
  caseId: r.case_id,
  alertId: r.alert_id,
  parentRunId: r.parent_run_id,
  dryRun: r.dry_run === 1,
  errorCode: r.error_code,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** Runs: list, show with step attempts and events, cancel, pause, resume. */
export const runRoutes: RoutePlugin = async (app, ctx) => {
  const services = createRunServices(ctx);
  const tags = ['runs'];
  app.get(
    '/runs',
    {
      config: { access: 'runs:read' },
      schema: {
        tags,
        querystring: z.object({
          playbook: z.string().optional(),
          status: z.string().optional(),
          case: z.string().optional(),
          before: z.string().optional(),
          limit: queryInteger(1, 500).default(50),
        }),
        response: { 200: z.object({ items: z.array(Run) }) },
      },
    },
    async (request) => {
      const q = request.query;
      return {
        items: (
          await listRuns(ctx.store.db, {
            playbookId: q.playbook,
            status: q.status,
            caseId: q.case,
            before: q.before,
            limit: q.limit,
          })
        ).map(runOf),
      };
    },
  );
  app.get(
    '/runs/:id',
    {
      config: { access: 'runs:read' },
      schema: {
        tags,
        params: IdParams,
        response: {
          200: Run.extend({
            output: z.unknown(),
            error: z.unknown(),
            steps: z.array(Step),
            events: z.array(RunEvent),
          }),
        },
      },
    },
    async (request) => {
      const d = await getRunDetail(ctx, request.params.id);
      const state = JSON.parse(d.run.state) as { output?: unknown; error?: unknown };
      return {
        ...runOf(d.run),
        output: state.output ?? null,
        error: state.error ?? null,
        steps: d.steps.map((s) => ({
          stepId: s.step_id,
          stepPath: s.step_path,
          attempt: s.attempt,
          kind: s.kind,
          name: s.name,
          status: s.status,
          input: JSON.parse(s.input) as unknown,
          output: s.output === null ? null : (JSON.parse(s.output) as unknown),
          outputRef: s.output_ref,
          error: s.error_code ? { code: s.error_code, message: s.error_message ?? '' } : null,
          startedAt: s.started_at,
          finishedAt: s.finished_at,
        })),
        events: d.events.map((e) => ({
          at: e.at,
          type: e.type,
          stepId: e.step_id,
          stepPath: e.step_path,
          data: JSON.parse(e.data) as unknown,
        })),
      };
    },
  );
  for (const action of ['cancel', 'pause', 'resume'] as const) {
    app.post(
      `/runs/:id/${action}`,
      {
        config: { access: 'runs:control' },
        schema: {
          tags,
          params: IdParams,
          body: z.object({ reason: z.string().max(1_000).optional() }).nullish(),
          response: { 202: z.object({ runId: z.string(), requested: z.string() }) },
        },
      },
      async (request, reply) => {
        await services.controlRun({
          runId: request.params.id,
          action,
          actor: actorOf(principalOf(request)),
          reason: request.body?.reason,
        });
        return reply.status(202).send({ runId: request.params.id, requested: action });
      },
    );
  }
};
