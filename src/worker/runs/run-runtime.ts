import type { Transaction } from 'kysely';
import { redactSecrets, revealSecrets, scrubSecretValues } from '../../domain/expressions/secrets.js';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import { decide } from '../../engine/decide.js';
import type { EffectFailure, PendingEffect, RunEvent, RunState } from '../../engine/run-state.js';
import type { RunDeps } from '../../app/playbooks/run-start.js';
import { appendRunCaseEvent, runActor, RunCaseEventType } from '../../app/playbooks/run-timeline.js';
import { ConnectorError, type ActionExecutor } from '../../connectors/action-executor.js';
import { decideApprovalRequirement } from '../../governance/approvals/approval-policy.js';
import type { AuditEntryInput } from '../../governance/audit/audit-chain.js';
import {
  insertStepAttempt,
  leaseRun,
  lockRun,
  takeInbox,
  releaseRunLease,
  type RunLeaseChange,
} from '../../store/runs/run.repository.js';
import { completeJob, type ClaimedJob } from '../../store/queue/queue.repository.js';
import type { RunRow } from '../../store/runs/run.table.js';
import type { Database } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { CASE_OPERATION_BY_STEP_OP, type CaseOperations } from './case-operations.js';
import type { BlobCache } from './run-blobs.js';
import { commitDecision, RunConflictError } from './run-commands.js';
import { startEffectDeadline } from './effect-deadline.js';
import type { CommitTick, RunCommitter } from '../../app/playbooks/run-commits.js';

export interface RuntimeDeps extends RunDeps {
  store: Store;
  now: () => number;
  actions: ActionExecutor;
  cases: CaseOperations;
  /** Real secret values by name; only ever read here, right before a connector call. */
  secrets: (name: string) => string | undefined;
  /** How long a worker holds a run while executing one step; outlasts the longest action timeout. */
  runLeaseMs: number;
  /** Default action timeout when a step declares none. */
  actionTimeoutMs: number;
  /** Actions an admin trusted this playbook to run without approval. */
  trustedActions?: (playbookId: string) => Promise<readonly string[]>;
  /** Large step outputs read back for expressions (immutable, so cached per process). */
  blobs: BlobCache;
  /** Claims and step commits of concurrent runs share transactions. */
  commits: RunCommitter;
}

const parseState = (row: RunRow): RunState => JSON.parse(row.state) as RunState;

/** Decides the run's inbox and `extra` events and commits them; the new state, or the old when none. */
async function decideInbox(
  trx: Transaction<Database>,
  deps: RuntimeDeps,
  row: RunRow,
  extra: RunEvent[],
  options: {
    executingInline?: boolean;
    lease?: (next: RunState) => RunLeaseChange | undefined;
    tick?: CommitTick;
    /** Told when the commit added jobs. */
    holder?: RunLease;
  } = {},
): Promise<RunState> {
  const events = [...((await takeInbox(trx, row.id)) as RunEvent[]), ...extra];
  let state = parseState(row);
  if (events.length === 0) return state;
  const pb = await deps.playbooks.load(trx, row.playbook_id, row.version);
  const commands = [];
  const now = deps.now();
  const blobs = await deps.blobs.resolverFor(trx, state);
  for (const e of events) {
    const d = decide(pb.compiled, state, e, now, blobs);
    state = d.state;
    commands.push(...d.commands);
  }
  const { enqueued } = await commitDecision(trx, deps, row, state, commands, now, {
    executingInline: options.executingInline,
    lease: options.lease?.(state),
    tick: options.tick,
  });
  if (enqueued && options.holder) options.holder.enqueued = true;
  return state;
}

/** The run after applying its inbox, and whether this worker now holds its lease to execute its effects. */
interface Claimed {
  row?: RunRow;
  state?: RunState;
  leased: boolean;
}

const hasWork = (state: RunState): boolean => state.status === 'running' && state.pending.length > 0;

/**
 * Applies the run's inbox (and `extra`) and takes its lease in the same commit when it has effects to execute
 * and nobody holds it. Claims nearly always find events (a start, a timer, an approval): no read first.
 */
async function claimRun(
  deps: RuntimeDeps,
  runId: string,
  extra: RunEvent[],
  holder: RunLease,
): Promise<Claimed> {
  const token = holder.token;
  return deps.commits.commit(runId, async (trx, tick) => {
    const row = await lockRun(trx, deps, runId);
    if (!row) return { leased: false };
    const now = deps.now();
    const free = row.lease_until === null || row.lease_until <= now || row.lease_token === token;
    const until = now + deps.runLeaseMs;
    let leased = false;
    const state = await decideInbox(trx, deps, row, extra, {
      executingInline: true,
      tick,
      holder,
      lease: (next) => {
        leased = free && hasWork(next);
        return leased ? { mode: 'take', token, until } : undefined;
      },
    });
    if (state.seq === row.seq && free && hasWork(state)) {
      // Someone else emptied the inbox first: take the lease on its own.
      leased = await leaseRun(trx, runId, token, until, now);
    }
    return { row: { ...row, seq: state.seq, status: state.status }, state, leased };
  });
}

function toFailure(err: unknown, secretValues: string[]): EffectFailure {
  const message = scrubSecretValues(err instanceof Error ? err.message : String(err), secretValues);
  if (err instanceof ConnectorError)
    return { code: err.code, message, retryable: err.retryable, retryAfterMs: err.retryAfterMs };
  if (err instanceof Error && err.name === 'AbortError') return { code: 'TIMEOUT', message, retryable: true };
  return { code: 'ACTION_ERROR', message, retryable: false };
}

const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;

/** The governance policy's word on an action about to run: an approval request, or nothing. */
async function policyHold(
  deps: RuntimeDeps,
  state: RunState,
  effect: PendingEffect,
): Promise<RunEvent | undefined> {
  const descriptor = deps.actions.describe(effect.name);
  // Read-only actions never need approval: skip the trust lookup on the hot path.
  if (!descriptor || descriptor.risk === 'read') return undefined;
  const alert = (state.trigger.alert ?? {}) as {
    asset?: { criticality?: unknown };
    asset_criticality?: unknown;
  };
  const declared = alert.asset?.criticality ?? alert.asset_criticality;
  const assetCriticality = CRITICALITIES.find((c) => c === declared);
  const req = decideApprovalRequirement({
    risk: descriptor.risk,
    assetCriticality,
    actionName: effect.name,
    playbookTrustedFor: await deps.trustedActions?.(state.playbookId),
  });
  if (!req.required) return undefined;
  return {
    type: 'effect_needs_approval',
    effectId: effect.id,
    approvers: req.approverRoles,
    quorum: req.quorum,
    reason: req.reason,
    timeoutMs: req.timeoutMs,
  };
}

/** Thrown by a case operation: its transaction rolls back, and the step is then failed in a new one. */
class CaseOperationFailed extends Error {
  constructor(readonly failure: EffectFailure) {
    super(failure.message);
  }
}

/** The holder's lease on a run: renewed with each commit it makes. */
interface RunLease {
  token: string;
  /**
   * The queue job this claim runs for: deleted in the commit that lets go of the run (nothing is left for
   * it to do then), instead of in a statement of its own afterwards. `completed` says that commit did so.
   */
  job?: Pick<ClaimedJob, 'id' | 'leaseToken'>;
  completed?: boolean;
  /** Some commit of this claim added jobs (a timer, a sub-run, an event for another run). */
  enqueued?: boolean;
}

/** A committed effect: the run's state after it, and whether that commit let go of the lease. */
interface Committed {
  state: RunState;
  released: boolean;
}

/**
 * Commits an effect's outcome with the run's next state. The holder decides on the state it last committed
 * (no read); if anyone wrote since (an event applied while the effect ran), the write finds another seq and
 * the transaction is redone from the locked row. The lease is renewed while effects remain, else released
 * in the same commit: whoever applies an event after it finds the run free.
 */
async function commitEffect(
  deps: RuntimeDeps,
  held: RunRow,
  known: () => RunState,
  effect: PendingEffect,
  startedAt: number,
  outcome: { output: unknown } | { error: EffectFailure } | { caseOp: true },
  lease: RunLease,
): Promise<Committed | undefined> {
  try {
    return await commitEffectOnce(deps, held, known(), effect, startedAt, outcome, lease);
  } catch (err) {
    if (!(err instanceof RunConflictError)) throw err;
    return commitEffectOnce(deps, held, undefined, effect, startedAt, outcome, lease);
  }
}

async function commitEffectOnce(
  deps: RuntimeDeps,
  held: RunRow,
  given: RunState | undefined,
  effect: PendingEffect,
  startedAt: number,
  outcome: { output: unknown } | { error: EffectFailure } | { caseOp: true },
  lease: RunLease,
): Promise<Committed | undefined> {
  const runId = held.id;
  // A case operation writes through its own port (which may keep more than rows): it gets a transaction of
  // its own, so it never runs twice when a shared one is redone.
  const inTransaction = <T>(unit: (trx: Transaction<Database>, tick?: CommitTick) => Promise<T>) =>
    'caseOp' in outcome
      ? deps.store.db.transaction().execute((trx) => unit(trx))
      : deps.commits.commit(runId, unit);
  return inTransaction(async (trx, tick) => {
    // An earlier unit of this shared transaction may have written the run since (a parallel branch's effect):
    // its state is the run's current one here, which spares a conflict that would redo the whole batch.
    const written = tick?.runs.get(runId);
    const known = written && (!given || written.seq > given.seq) ? written : given;
    // The row as stored at the known state's seq: its status too (the state write skips an unchanged one).
    const row = known ? { ...held, seq: known.seq, status: known.status } : await lockRun(trx, deps, runId);
    if (!row) return undefined;
    const now = deps.now();
    let result: { output: unknown } | { error: EffectFailure };
    if ('caseOp' in outcome) {
      const method = CASE_OPERATION_BY_STEP_OP[effect.name as keyof typeof CASE_OPERATION_BY_STEP_OP];
      try {
        const output = await deps.cases[method](
          trx,
          {
            caseId: row.case_id ?? undefined,
            input: effect.input,
            actor: { type: 'system', id: `run:${runId}`, name: `playbook ${row.playbook_id}` },
          },
          now,
        );
        result = { output: output ?? null };
      } catch (err) {
        const code =
          typeof (err as { code?: unknown }).code === 'string'
            ? String((err as { code: string }).code)
            : 'CASE_OPERATION_FAILED';
        throw new CaseOperationFailed({
          code,
          message: err instanceof Error ? err.message : String(err),
          retryable: false,
        });
      }
    } else result = outcome;
    const { outputRef } = await insertStepAttempt(
      trx,
      {
        id: deps.newId(),
        runId,
        stepId: effect.stepId,
        stepPath: effect.stepPath,
        attempt: effect.attempt,
        kind: effect.kind,
        name: effect.name,
        idempotencyKey: effect.idempotencyKey,
        status: 'output' in result ? 'succeeded' : 'failed',
        input: redactSecrets(effect.input),
        output: 'output' in result ? result.output : undefined,
        error: 'error' in result ? result.error : undefined,
        startedAt,
      },
      deps.newId,
      now,
      tick?.steps,
    );
    // The action is audited in the step's commit, chained before what the decision itself records.
    const audit: AuditEntryInput[] = [];
    if (effect.kind === 'action') {
      await appendRunCaseEvent(
        trx,
        deps,
        {
          caseId: row.case_id,
          type: RunCaseEventType.actionTaken,
          actor: runActor(runId, row.playbook_id),
          data: {
            runId,
            action: effect.name,
            step: effect.stepPath,
            attempt: effect.attempt,
            status: 'output' in result ? 'succeeded' : 'failed',
            input: effect.input,
            error: 'error' in result ? result.error : null,
            dryRun: row.dry_run === 1,
          },
        },
        now,
      );
      audit.push({
        actor: SYSTEM_ACTOR,
        action: 'run.action',
        target: { type: 'run', id: runId },
        outcome: 'output' in result ? 'success' : 'failure',
        details: {
          action: effect.name,
          step: effect.stepPath,
          attempt: effect.attempt,
          idempotencyKey: effect.idempotencyKey,
          input: redactSecrets(effect.input),
          error: 'error' in result ? result.error : null,
        },
      });
    }
    const pb = await deps.playbooks.load(trx, row.playbook_id, row.version);
    let event: RunEvent;
    if ('error' in result) event = { type: 'effect_failed', effectId: effect.id, error: result.error };
    else if (outputRef) {
      // The state keeps a reference; the value is in run_blobs (written above) and in this process's cache.
      deps.blobs.put(outputRef.id, result.output, outputRef.size);
      event = {
        type: 'effect_succeeded',
        effectId: effect.id,
        output: { $blob: outputRef.id, size: outputRef.size },
      };
    } else event = { type: 'effect_succeeded', effectId: effect.id, output: result.output };
    const state = known ?? parseState(row);
    const blobs = await deps.blobs.resolverFor(trx, {
      ...state,
      blobs: [...(state.blobs ?? []), ...(outputRef ? [outputRef.id] : [])],
    });
    const d = decide(pb.compiled, state, event, now, blobs);
    const released = !hasWork(d.state);
    if (released && lease.job) lease.completed = await completeJob(trx, lease.job);
    const { enqueued } = await commitDecision(trx, deps, row, d.state, d.commands, now, {
      executingInline: true,
      audit,
      tick,
      lease: released
        ? { mode: 'release', token: lease.token }
        : { mode: 'renew', token: lease.token, until: now + deps.runLeaseMs },
    });
    if (enqueued) lease.enqueued = true;
    return { state: d.state, released };
  });
}

/** Runs one effect to its committed outcome. Throws only when the effect must be repeated later. */
async function executeEffect(
  deps: RuntimeDeps,
  row: RunRow,
  known: () => RunState,
  effect: PendingEffect,
  lease: RunLease,
  signal: AbortSignal,
): Promise<Committed | undefined> {
  const runId = row.id;
  const startedAt = deps.now();
  const state = known();
  if (effect.kind === 'case') {
    try {
      return await commitEffect(deps, row, known, effect, startedAt, { caseOp: true }, lease);
    } catch (err) {
      if (!(err instanceof CaseOperationFailed)) throw err;
      return commitEffect(deps, row, known, effect, startedAt, { error: err.failure }, lease);
    }
  }
  const hold = effect.approved ? undefined : await policyHold(deps, state, effect);
  if (hold) {
    const next = await deps.store.db.transaction().execute(async (trx) => {
      const locked = await lockRun(trx, deps, runId);
      return locked && decideInbox(trx, deps, locked, [hold], { executingInline: true, holder: lease });
    });
    // The lease stays: the holder lets go of it when it is done (see advanceRun).
    return next && { state: next, released: false };
  }
  const secretValues = state.secretNames.map(deps.secrets).filter((v): v is string => v !== undefined);
  let outcome: { output: unknown } | { error: EffectFailure };
  const deadline = startEffectDeadline(signal, effect.timeoutMs ?? deps.actionTimeoutMs);
  try {
    const input = revealSecrets(effect.input, deps.secrets) as Record<string, unknown>;
    const result = await deps.actions.execute(
      {
        action: effect.name,
        instance: effect.instance,
        input,
        idempotencyKey: effect.idempotencyKey,
        dryRun: row.dry_run === 1,
        context: {
          runId,
          stepId: effect.stepId,
          playbookId: row.playbook_id,
          caseId: row.case_id ?? undefined,
          alertId: row.alert_id ?? undefined,
        },
      },
      deadline.signal,
    );
    outcome = { output: result.output ?? null };
  } catch (err) {
    // Shutting down or lease lost: leave the effect pending; the next claim repeats it with the same key.
    if (signal.aborted) throw err;
    outcome = {
      error: toFailure(
        deadline.timedOut ? Object.assign(new Error(`action timed out`), { name: 'AbortError' }) : err,
        secretValues,
      ),
    };
  } finally {
    deadline.dispose();
  }
  const next = await commitEffect(deps, row, known, effect, startedAt, outcome, lease);
  if (row.case_id) await deps.store.notifier.notify(`case:${row.case_id}`).catch(() => undefined);
  return next;
}

/**
 * Executes a run's pending effects while holding its lease: all of them at once (parallel branches, foreach
 * iterations up to their concurrency; the reducer never has more pending than that), each committed with
 * the run's next state in its own transaction, and the effects those commits produce in turn, until the run
 * waits or ends. Every effect's result is durable once committed; one not committed is repeated later with
 * the same idempotency key. The first failure stops new starts; the ones in flight still commit.
 * `hold.held` says whether the lease is still this worker's to let go of when it returns or throws.
 */
async function executeWhileHeld(
  deps: RuntimeDeps,
  row: RunRow,
  first: RunState,
  lease: RunLease,
  signal: AbortSignal,
  hold: { held: boolean },
): Promise<void> {
  let latest = first;
  const known = (): RunState => latest;
  const inFlight = new Map<string, Promise<void>>();
  // Effect ids are never reused: one this hold has run is never run again by it, whatever state it sees.
  const started = new Set<string>();
  let failure: { err: unknown } | undefined;
  const startReady = (): void => {
    if (failure || signal.aborted || latest.status !== 'running') return;
    for (const effect of latest.pending) {
      if (started.has(effect.id)) continue;
      started.add(effect.id);
      const job = executeEffect(deps, row, known, effect, lease, signal).then(
        (next) => {
          // Commits are serialised by the run's lock: a higher seq is the newer state.
          if (next && next.state.seq > latest.seq) {
            latest = next.state;
            hold.held = !next.released;
          }
        },
        (err: unknown) => {
          failure ??= { err };
        },
      );
      inFlight.set(
        effect.id,
        job.finally(() => inFlight.delete(effect.id)),
      );
    }
  };
  startReady();
  while (inFlight.size > 0) {
    await Promise.race(inFlight.values());
    startReady();
  }
  if (failure) throw failure.err;
  // Shutting down or the job's lease was lost: what was not committed stays pending for the next claim.
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('run handed back');
}

/**
 * One claim of a run: apply its inbox (and `extra`, a timer that fired), take its lease in that commit,
 * then execute its pending effects and commit each result with the run's next state, continuing in this
 * process while it holds the lease. A crash anywhere leaves an uncommitted effect pending with the same
 * idempotency key, so the next worker repeats the call and a key-honouring target sees one side effect.
 */
export async function advanceRun(
  deps: RuntimeDeps,
  runId: string,
  signal: AbortSignal,
  extra: RunEvent[] = [],
  job?: Pick<ClaimedJob, 'id' | 'leaseToken'>,
): Promise<{ busyUntil?: number; completed?: boolean; enqueued?: boolean }> {
  const lease: RunLease = { token: deps.newId(), job };
  let events = extra;
  for (;;) {
    const { row, state, leased } = await claimRun(deps, runId, events, lease);
    events = [];
    if (!row || !state) return { enqueued: lease.enqueued };
    // The case's live timeline listens for this; the timeline itself was written in the commits.
    if (row.case_id) await deps.store.notifier.notify(`case:${row.case_id}`).catch(() => undefined);
    if (!leased) {
      if (!hasWork(state)) return { enqueued: lease.enqueued };
      // A live holder picks up what this job's events added, at its next commit or when it lets go (below).
      // A dead one's own job comes back when the lease ends; so does this one, in case.
      const now = deps.now();
      return { busyUntil: Math.max(row.lease_until ?? now, now) + 10 };
    }
    const hold = { held: true };
    try {
      await executeWhileHeld(deps, row, state, lease, signal, hold);
    } finally {
      if (hold.held) await releaseRunLease(deps.store.db, runId, lease.token).catch(() => undefined);
    }
    // The last commit let go of the lease with the state it read: nothing can be waiting for this worker.
    if (!hold.held) return { completed: lease.completed === true, enqueued: lease.enqueued };
    // It let go outside a commit (the run parked on an approval): an event applied meanwhile found the run
    // busy and left its effects to this worker, so look once more.
  }
}
