import type { AppContext } from '../../app/context.js';
import { runCommitterOf, START_ORDER } from '../../app/playbooks/run-commits.js';
import { sendRunEvent, startRunInTrx, type RunDeps } from '../../app/playbooks/run-start.js';
import { compileExpression } from '../../domain/expressions/expression.js';
import { PlaybookSchema, type Playbook, type Trigger } from '../../domain/playbooks/playbook.schema.js';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import { findAlertById } from '../../store/alerts/alert.repository.js';
import { findCaseById } from '../../store/cases/case.repository.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { findPlaybook, listActivePlaybookVersions } from '../../store/playbooks/playbook.repository.js';
import { listWaitingRunIdsOfCase } from '../../store/runs/run.repository.js';
import { scheduleNextTick, TRIGGER_QUEUE } from '../../app/playbooks/playbook-schedule.js';
import type { JobHandler, JobOutcome } from '../../app/job-handlers.js';

export { TRIGGER_QUEUE };

const matches = (condition: string | undefined, context: Record<string, unknown>): boolean => {
  if (!condition) return true;
  try {
    return compileExpression(condition).evaluate(context) === true;
  } catch {
    // A condition that cannot be evaluated against this alert does not match it.
    return false;
  }
};

/** Active playbooks with a trigger of this type, parsed. */
async function activeWith(
  ctx: AppContext,
  type: Trigger['type'],
): Promise<Array<{ pb: Playbook; triggers: Trigger[] }>> {
  const rows = await listActivePlaybookVersions(ctx.store.db);
  const out: Array<{ pb: Playbook; triggers: Trigger[] }> = [];
  for (const row of rows) {
    const pb = PlaybookSchema.parse(JSON.parse(row.definition));
    const triggers = pb.triggers.filter((t) => t.type === type);
    if (triggers.length) out.push({ pb, triggers });
  }
  return out;
}

/** Hops followed along `merged_into` before giving up on a chain (merges repoint, so one is the norm). */
const MAX_MERGE_HOPS = 8;

const stringOrNull = (value: unknown, name: string): string | null | undefined => {
  if (typeof value !== 'object' || value === null || !(name in value)) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === 'string' ? field : null;
};

export interface TriggerSources {
  loadAlert?: (ctx: AppContext, id: string) => Promise<unknown>;
  loadCase?: (ctx: AppContext, id: string) => Promise<unknown>;
}

/**
 * Starts runs of the active playbooks whose triggers match. Each start has a key (trigger, subject,
 * playbook), so a trigger job that runs twice starts each run once.
 */
export function createTriggerHandlers(
  ctx: AppContext,
  deps: RunDeps,
  sources: TriggerSources = {},
): Record<string, JobHandler> {
  const loadAlert = sources.loadAlert ?? ((c, id) => findAlertById(c.store.db, id));
  const loadCase = sources.loadCase ?? ((c, id) => findCaseById(c.store.db, id));
  const start = async (
    starts: Array<{
      pb: Playbook;
      key: string;
      triggerType: 'alert' | 'case_event' | 'schedule';
      trigger: Record<string, unknown>;
      caseId?: string;
      alertId?: string;
    }>,
  ): Promise<void> => {
    if (starts.length === 0) return;
    const now = ctx.clock.now();
    // One unit for the job's starts: they commit together, and with concurrent trigger jobs' and API starts.
    await runCommitterOf(ctx).commit(START_ORDER, async (trx, tick) => {
      for (const s of starts)
        await startRunInTrx(
          trx,
          deps,
          {
            playbookId: s.pb.id,
            triggerType: s.triggerType,
            trigger: { ...s.trigger, inputs: {} },
            caseId: s.caseId ?? null,
            alertId: s.alertId ?? null,
            startKey: s.key,
            requestedBy: SYSTEM_ACTOR,
          },
          now,
          tick,
        );
    });
  };
  /**
   * The case an alert is in now, followed along `merged_into` to the case that absorbed it: the job's
   * `caseId` is where ingest put the alert, and an analyst may have moved it or merged that case since.
   * Alerts read from a source that does not say their case keep the job's.
   */
  const currentCaseOf = async (
    alert: unknown,
    queuedCaseId: string | undefined,
    cache: Map<string, Promise<{ caseId: string; kase: unknown }>>,
  ): Promise<{ caseId?: string; kase?: unknown }> => {
    const stored = stringOrNull(alert, 'caseId');
    const caseId = stored === undefined ? queuedCaseId : (stored ?? undefined);
    if (!caseId) return {};
    let resolved = cache.get(caseId);
    if (!resolved) {
      resolved = (async () => {
        let id = caseId;
        let kase = await loadCase(ctx, id);
        const seen = new Set([id]);
        for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
          const next = stringOrNull(kase, 'mergedInto');
          if (!next || seen.has(next)) break;
          const survivor = await loadCase(ctx, next);
          if (!survivor) break;
          seen.add(next);
          id = next;
          kase = survivor;
        }
        return { caseId: id, kase };
      })();
      cache.set(caseId, resolved);
    }
    return resolved;
  };
  /**
   * The runs stored alerts start: each alert against each active playbook with an alert trigger, keyed by
   * alert and playbook, on the case the alert is in when the job runs. Runs are per alert, so alerts of one
   * job that now share a case start one run each there, as alerts correlated into one case at ingest do.
   * Alerts that cannot be found are named, the others start regardless.
   */
  const startForAlerts = async (
    alerts: ReadonlyArray<{ alertId: string; caseId?: string }>,
  ): Promise<JobOutcome> => {
    const active = await activeWith(ctx, 'alert');
    const starts: Parameters<typeof start>[0] = [];
    const missing: string[] = [];
    const cases = new Map<string, Promise<{ caseId: string; kase: unknown }>>();
    for (const p of alerts) {
      // Nothing to match against: the alert and its case need not be read.
      if (active.length === 0) break;
      const alert = await loadAlert(ctx, p.alertId);
      if (!alert) {
        missing.push(p.alertId);
        continue;
      }
      const { caseId, kase } = await currentCaseOf(alert, p.caseId, cases);
      const context = { alert, case: kase ?? null };
      for (const { pb, triggers } of active) {
        if (!triggers.some((t) => 'condition' in t && matches(t.condition, context))) continue;
        starts.push({
          pb,
          key: `alert:${p.alertId}:${pb.id}`,
          triggerType: 'alert',
          trigger: { alert, case: kase },
          caseId,
          alertId: p.alertId,
        });
      }
    }
    await start(starts);
    if (missing.length > 0) return { type: 'failed', error: `alert ${missing.join(', ')} not found` };
    return { type: 'done' };
  };
  return {
    // One job per alert: what earlier versions enqueued (jobs of theirs may still wait in the queue).
    'alert.created': async (job) => startForAlerts([job.payload as { alertId: string; caseId?: string }]),
    // One job per ingest transaction, for all the alerts it stored.
    'alerts.created': async (job) =>
      startForAlerts((job.payload as { alerts: Array<{ alertId: string; caseId?: string }> }).alerts),
    'case.event': async (job) => {
      const p = job.payload as { caseId: string; eventId: string; type: string; data?: unknown };
      const kase = await loadCase(ctx, p.caseId);
      const event = { id: p.eventId, type: p.type, data: p.data ?? null };
      const context = { case: kase ?? null, event };
      const starts = (await activeWith(ctx, 'case_event'))
        .filter(({ triggers }) =>
          triggers.some(
            (t) =>
              t.type === 'case_event' &&
              (!t.events || t.events.includes(p.type)) &&
              matches(t.condition, context),
          ),
        )
        .map(({ pb }) => ({
          pb,
          key: `case:${p.eventId}:${pb.id}`,
          triggerType: 'case_event' as const,
          trigger: { case: kase, event },
          caseId: p.caseId,
        }));
      await start(starts);
      // Runs of this case waiting for a case event hear about it.
      const waiting = await listWaitingRunIdsOfCase(ctx.store.db, p.caseId);
      if (waiting.length)
        await ctx.store.db.transaction().execute(async (trx) => {
          for (const runId of waiting)
            await sendRunEvent(
              trx,
              deps,
              runId,
              { type: 'external', eventType: `case.${p.type}`, data: { ...event, case: kase ?? null } },
              ctx.clock.now(),
            );
        });
      return { type: 'done' };
    },
    'schedule.tick': async (job) => {
      const p = job.payload as { playbookId: string; cron: string; at: number };
      const active = (await activeWith(ctx, 'schedule')).find(({ pb }) => pb.id === p.playbookId);
      // A playbook unpublished or rescheduled since stops this chain of ticks.
      if (!active?.triggers.some((t) => t.type === 'schedule' && t.cron === p.cron)) return { type: 'done' };
      await start([
        {
          pb: active.pb,
          key: `schedule:${p.playbookId}:${p.at}`,
          triggerType: 'schedule',
          trigger: { event: { scheduledAt: p.at } },
        },
      ]);
      await scheduleNextTick(
        ctx.store.db,
        deps,
        { playbookId: p.playbookId, cron: p.cron, after: p.at },
        ctx.clock.now(),
      );
      return { type: 'done' };
    },
    // The review reminder: recorded in the audit log (and shown as due in the playbook's health) once the
    // active version's review date passes. A version replaced since carries its own reminder, or none.
    'playbook.review_due': async (job) => {
      const p = job.payload as { playbookId: string; version: number; reviewBy: string };
      const pb = await findPlaybook(ctx.store.db, p.playbookId);
      if (pb?.active_version !== p.version) return { type: 'done' };
      await ctx.store.db.transaction().execute((trx) =>
        appendAudit(
          trx,
          { dialect: ctx.store.dialect },
          {
            actor: SYSTEM_ACTOR,
            action: 'playbook.review_due',
            target: { type: 'playbook', id: p.playbookId },
            details: { version: p.version, reviewBy: p.reviewBy },
          },
          ctx.clock.now(),
        ),
      );
      return { type: 'done' };
    },
  };
}
