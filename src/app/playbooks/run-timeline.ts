import type { Transaction } from 'kysely';
import { redactSecrets } from '../../domain/expressions/secrets.js';
import type { Actor } from '../../domain/shared/actor.js';
import { appendCaseEvent } from '../../store/cases/case.repository.js';
import type { Database } from '../../store/schema.js';

/** Case timeline event types a playbook run writes; the web console shows them beside analysts' work. */
export const RunCaseEventType = {
  runStarted: 'playbook_run_started',
  runFinished: 'playbook_run_finished',
  actionTaken: 'playbook_action',
  approvalRequested: 'approval_requested',
  approvalDecided: 'approval_decided',
} as const;
export type RunCaseEventType = (typeof RunCaseEventType)[keyof typeof RunCaseEventType];

/** The actor a run's own entries carry: the automation, named after its run and playbook. */
export const runActor = (runId: string, playbookId: string): Actor => ({
  type: 'system',
  id: `run:${runId}`,
  name: `playbook ${playbookId}`,
});

/**
 * Puts one entry about a run on its case's timeline, inside the caller's transaction so the timeline and
 * the run's progress commit together. Runs without a case write nothing; inputs are always redacted.
 */
export async function appendRunCaseEvent(
  trx: Transaction<Database>,
  deps: { newId: () => string },
  entry: {
    caseId: string | null | undefined;
    type: RunCaseEventType;
    actor: Actor;
    data: Record<string, unknown>;
  },
  now: number,
): Promise<void> {
  if (!entry.caseId) return;
  await appendCaseEvent(
    trx,
    deps,
    {
      caseId: entry.caseId,
      type: entry.type,
      actor: entry.actor,
      data: redactSecrets(entry.data) as Record<string, unknown>,
    },
    now,
  );
}
