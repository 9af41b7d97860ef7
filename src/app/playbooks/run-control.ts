import { compileExpression } from '../../domain/expressions/expression.js';
import type { Actor } from '../../domain/shared/actor.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import { TERMINAL_STATUSES, type RunEvent, type RunStatus } from '../../engine/run-state.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { findRunById, listRunEvents, listRunSteps } from '../../store/runs/run.repository.js';
import type { RunEventRow, RunRow, RunStepRow } from '../../store/runs/run.table.js';
import type { AppContext } from '../context.js';
import { PlaybookCache } from './playbook-catalog.js';
import { runCommitterOf, START_ORDER } from './run-commits.js';
import { RUN_QUEUE, sendRunEvent, startRunInTrx } from './run-start.js';

/** Shared by the API and CLI of one process: compiled playbook versions. */
export const createRunServices = (ctx: AppContext) => {
  const playbooks = new PlaybookCache();
  const deps = { newId: ctx.newId, dialect: ctx.store.dialect, playbooks };
  // Concurrent starts share a transaction (with the worker's commits in this process); each caller is
  // answered once it committed, and a start that fails is redone alone, so only it fails.
  const commits = runCommitterOf(ctx);
  const wake = () => ctx.store.notifier.notify(`queue:${RUN_QUEUE}`).catch(() => undefined);

  return {
    playbooks,
    /** A manual start with typed inputs (checked against the playbook's declaration). */
    async startManualRun(input: {
      playbookId: string;
      version?: number;
      inputs: Record<string, unknown>;
      caseId?: string;
      actor: Actor;
    }): Promise<{ runId: string; version: number }> {
      const now = ctx.clock.now();
      const r = await commits.commit(START_ORDER, (trx, tick) =>
        startRunInTrx(
          trx,
          deps,
          {
            playbookId: input.playbookId,
            version: input.version,
            triggerType: 'manual',
            trigger: { inputs: input.inputs },
            caseId: input.caseId ?? null,
            requestedBy: input.actor,
          },
          now,
          tick,
        ),
      );
      await wake();
      return { runId: r.runId, version: r.version };
    },

    /** An inbound webhook: starts the playbook when one of its webhook triggers matches the body. */
    async startWebhookRun(input: {
      playbookId: string;
      body: unknown;
      actor: Actor;
    }): Promise<{ runId: string } | undefined> {
      const loaded = await playbooks.load(ctx.store.db, input.playbookId);
      const hooks = loaded.compiled.playbook.triggers.filter((t) => t.type === 'webhook');
      if (hooks.length === 0)
        throw new RiposteError(
          'RIPOSTE_UNPROCESSABLE',
          `playbook ${input.playbookId} has no webhook trigger`,
        );
      const matched = hooks.some((t) => {
        if (!('condition' in t) || !t.condition) return true;
        try {
          return compileExpression(t.condition).evaluate({ event: input.body }) === true;
        } catch {
          return false;
        }
      });
      if (!matched) return undefined;
      const now = ctx.clock.now();
      const r = await commits.commit(START_ORDER, (trx, tick) =>
        startRunInTrx(
          trx,
          deps,
          {
            playbookId: input.playbookId,
            triggerType: 'webhook',
            trigger: { event: input.body, inputs: {} },
            requestedBy: input.actor,
          },
          now,
          tick,
        ),
      );
      await wake();
      return { runId: r.runId };
    },

    /** Cancel, pause or resume: delivered through the run's inbox, so it lands between two steps. */
    async controlRun(input: {
      runId: string;
      action: 'cancel' | 'pause' | 'resume';
      actor: Actor;
      reason?: string;
    }): Promise<void> {
      const now = ctx.clock.now();
      await ctx.store.db.transaction().execute(async (trx) => {
        const run = await findRunById(trx, input.runId);
        if (!run) throw notFound('run', input.runId);
        if (TERMINAL_STATUSES.includes(run.status as RunStatus))
          throw new RiposteError(
            'RIPOSTE_CONFLICT',
            `run ${run.id} has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}`,
          );
        const event: RunEvent =
          input.action === 'cancel'
            ? { type: 'cancel', reason: input.reason ?? `cancelled by ${input.actor.name}` }
            : { type: input.action };
        await sendRunEvent(trx, deps, run.id, event, now);
        await appendAudit(
          trx,
          deps,
          {
            actor: input.actor,
            action: `run.${input.action}`,
            target: { type: 'run', id: run.id },
            details: { reason: input.reason ?? null },
          },
          now,
        );
      });
      await wake();
    },

    /** An event from outside (a case status, a webhook) for runs waiting on it. */
    async sendEvent(input: { runId: string; eventType: string; data: unknown }): Promise<void> {
      await ctx.store.db
        .transaction()
        .execute((trx) =>
          sendRunEvent(
            trx,
            deps,
            input.runId,
            { type: 'external', eventType: input.eventType, data: input.data },
            ctx.clock.now(),
          ),
        );
      await wake();
    },
  };
};

export type RunServices = ReturnType<typeof createRunServices>;

export interface RunDetail {
  run: RunRow;
  steps: RunStepRow[];
  events: RunEventRow[];
}

export async function getRunDetail(ctx: AppContext, runId: string): Promise<RunDetail> {
  const run = await findRunById(ctx.store.db, runId);
  if (!run) throw notFound('run', runId);
  return {
    run,
    steps: await listRunSteps(ctx.store.db, runId),
    events: await listRunEvents(ctx.store.db, runId),
  };
}
