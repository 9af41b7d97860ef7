import type { Transaction } from 'kysely';
import type { Playbook } from '../../domain/playbooks/playbook.schema.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid, type ProblemDetail } from '../../domain/shared/errors.js';
import { newRunState, type RunEvent, type RunTrigger } from '../../engine/run-state.js';
import type { AuditEntryInput } from '../../governance/audit/audit-chain.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import type { StoreDialect } from '../../store/dialects/store-dialect.js';
import { enqueueJob } from '../../store/queue/queue.repository.js';
import { addInboxEvent, findRunByStartKey, insertRun } from '../../store/runs/run.repository.js';
import type { Database } from '../../store/schema.js';
import type { PlaybookCache } from './playbook-catalog.js';
import type { CommitTick } from './run-commits.js';
import { appendRunCaseEvent, RunCaseEventType } from './run-timeline.js';

/** The queue every run job (advance, timer) goes through. */
export const RUN_QUEUE = 'runs';

export interface RunDeps {
  newId: () => string;
  dialect: StoreDialect;
  playbooks: PlaybookCache;
}

export interface StartRunInput {
  playbookId: string;
  version?: number;
  triggerType: 'alert' | 'case_event' | 'schedule' | 'manual' | 'webhook' | 'subrun';
  trigger: Omit<RunTrigger, 'inputs'> & { inputs?: Record<string, unknown> };
  caseId?: string | null;
  alertId?: string | null;
  parentRunId?: string;
  startKey?: string;
  dryRun?: boolean;
  requestedBy: Actor;
}

/** Checks manual inputs against the playbook's declared types and fills defaults. */
export function resolveInputs(pb: Playbook, given: Record<string, unknown>): Record<string, unknown> {
  const problems: ProblemDetail[] = [];
  const out: Record<string, unknown> = {};
  const declared = pb.inputs ?? {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name] ?? spec.default;
    if (value === undefined) {
      if (spec.required) problems.push({ path: `inputs.${name}`, message: 'is required' });
      continue;
    }
    const actual = Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value;
    if (actual !== spec.type)
      problems.push({ path: `inputs.${name}`, message: `must be a ${spec.type}, got ${actual}` });
    out[name] = value;
  }
  for (const name of Object.keys(given))
    if (!(name in declared))
      problems.push({ path: `inputs.${name}`, message: 'is not an input of this playbook' });
  if (problems.length) throw invalid(`inputs for playbook ${pb.id} are invalid`, problems);
  return out;
}

/** Enqueues the job that advances a run (applies its inbox, executes its next step). */
export async function enqueueAdvance(
  trx: Transaction<Database>,
  deps: Pick<RunDeps, 'newId' | 'dialect'>,
  runId: string,
  dedupeKey: string | undefined,
  now: number,
): Promise<void> {
  await enqueueJob(
    trx,
    deps,
    { queue: RUN_QUEUE, kind: 'run.advance', payload: { runId }, dedupeKey, maxAttempts: 1_000 },
    now,
  );
}

/** Adds an event to a run's inbox and wakes a worker for it. */
export async function sendRunEvent(
  trx: Transaction<Database>,
  deps: Pick<RunDeps, 'newId' | 'dialect'>,
  runId: string,
  event: RunEvent,
  now: number,
): Promise<void> {
  await addInboxEvent(trx, { id: deps.newId(), runId, event }, now);
  await enqueueAdvance(trx, deps, runId, undefined, now);
}

/**
 * Creates a run of the active (or given) version inside the caller's transaction: its row, its `start`
 * event and the job that advances it. A sub-run with a key already started returns that run. In a shared
 * transaction (`tick`) its audit entry joins the transaction's one audit append.
 */
export async function startRunInTrx(
  trx: Transaction<Database>,
  deps: RunDeps,
  input: StartRunInput,
  now: number,
  tick?: Pick<CommitTick, 'audit'>,
): Promise<{ runId: string; version: number; created: boolean }> {
  if (input.startKey) {
    const existing = await findRunByStartKey(trx, input.startKey);
    if (existing) return { runId: existing.id, version: existing.version, created: false };
  }
  const loaded = await deps.playbooks.load(trx, input.playbookId, input.version);
  const pb = loaded.compiled.playbook;
  const inputs = resolveInputs(pb, input.trigger.inputs ?? {});
  const runId = deps.newId();
  const state = newRunState({
    runId,
    playbookId: pb.id,
    trigger: { ...input.trigger, inputs },
    secretNames: pb.secrets ?? [],
    now,
  });
  await insertRun(
    trx,
    {
      id: runId,
      playbookId: pb.id,
      version: loaded.version,
      state,
      status: state.status,
      triggerType: input.triggerType,
      caseId: input.caseId,
      alertId: input.alertId,
      parentRunId: input.parentRunId,
      startKey: input.startKey,
      dryRun: input.dryRun ?? false,
      requestedBy: input.requestedBy.id,
    },
    now,
    // Its `start` event goes in with it (sendRunEvent's inbox half), then the job that advances it.
    { dialect: deps.dialect, event: { id: deps.newId(), event: { type: 'start' } satisfies RunEvent } },
  );
  await enqueueAdvance(trx, deps, runId, undefined, now);
  await appendRunCaseEvent(
    trx,
    deps,
    {
      caseId: input.caseId,
      type: RunCaseEventType.runStarted,
      actor: input.requestedBy,
      data: {
        runId,
        playbook: pb.id,
        playbookName: pb.name,
        version: loaded.version,
        trigger: input.triggerType,
        dryRun: input.dryRun ?? false,
        parentRunId: input.parentRunId ?? null,
      },
    },
    now,
  );
  const audit: AuditEntryInput = {
    actor: input.requestedBy,
    action: 'run.started',
    target: { type: 'run', id: runId },
    details: {
      playbook: pb.id,
      version: loaded.version,
      trigger: input.triggerType,
      caseId: input.caseId ?? null,
    },
  };
  if (tick) tick.audit.push(audit);
  else await appendAudit(trx, { dialect: deps.dialect }, audit, now);
  return { runId, version: loaded.version, created: true };
}
