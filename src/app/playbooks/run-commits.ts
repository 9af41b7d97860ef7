import type { Transaction } from 'kysely';
import { createGroupCommit, type BatchOutcome } from '../group-commit.js';
import type { RunState } from '../../engine/run-state.js';
import type { AuditEntryInput } from '../../governance/audit/audit-chain.js';
import { appendAudits } from '../../store/audit/audit.repository.js';
import {
  insertRunEvents,
  insertStepAttemptRows,
  type RunEventInput,
  type StepAttemptRow,
} from '../../store/runs/run.repository.js';
import type { Database } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { AppContext } from '../context.js';

/**
 * What the units of one shared transaction pool, written once after every unit: step attempts and their
 * runs' step events (a multi-row insert each) and audit entries (chained in unit order).
 */
export interface CommitTick {
  /** Each run's state as the last unit that wrote it left it, in this transaction. */
  runs: Map<string, RunState>;
  steps: StepAttemptRow[];
  events: RunEventInput[];
  audit: AuditEntryInput[];
}

/** One run's commit (a claim, a step's outcome): its writes in the shared transaction, and its answer. */
export type CommitUnit<T> = (trx: Transaction<Database>, tick: CommitTick) => Promise<T>;

/**
 * Commits of concurrent runs, grouped: the units waiting when a transaction starts all go into it, and each
 * caller hears back only after that transaction committed, so an effect is still durable (with its
 * idempotency key) before anything acts on its result.
 */
export interface RunCommitter {
  /** `runId` orders the units of a transaction (see below). */
  commit<T>(runId: string, unit: CommitUnit<T>): Promise<T>;
  /** Units redone alone because their shared transaction failed (a metric: each one cost a transaction). */
  readonly redone: number;
}

interface Submitted {
  runId: string;
  unit: CommitUnit<unknown>;
}

/**
 * A unit that throws (a run changed under it, a constraint) rolls the shared transaction back; each unit of
 * that batch then runs again in a transaction of its own, so only the failing one fails. Units therefore
 * keep their effects inside the transaction: running one twice must be the same as running it once.
 * Units run in the order of their run's id (a run's own in the order submitted), so concurrent transactions
 * lock runs' rows in one order and cannot deadlock on them (the audit head is always locked last).
 */
export function createRunCommitter(store: Store, now: () => number, maxUnits = 64): RunCommitter {
  let redone = 0;
  const runTogether = (units: Submitted[]): Promise<unknown[]> =>
    store.db.transaction().execute(async (trx) => {
      const tick: CommitTick = { runs: new Map(), steps: [], events: [], audit: [] };
      const values: unknown[] = new Array(units.length);
      const order = units
        .map((u, i) => ({ runId: u.runId, i }))
        .sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
      for (const { i } of order) values[i] = await (units[i] as Submitted).unit(trx, tick);
      const at = now();
      await insertStepAttemptRows(trx, tick.steps);
      await insertRunEvents(trx, tick.events, at);
      await appendAudits(trx, { dialect: store.dialect }, tick.audit, at);
      return values;
    });
  const group = createGroupCommit<Submitted, unknown>({
    maxWeight: maxUnits,
    // Row locks let transactions on other connections write at once; SQLite has one writer anyway.
    parallel: store.dialect.supportsRowLocks ? 4 : 1,
    async flush(units): Promise<Array<BatchOutcome<unknown>>> {
      try {
        return (await runTogether(units)).map((value) => ({ value }));
      } catch (err) {
        if (units.length === 1) return [{ error: err }];
        redone += units.length;
        const outcomes: Array<BatchOutcome<unknown>> = [];
        for (const unit of units)
          outcomes.push(
            await runTogether([unit]).then(
              ([value]) => ({ value }),
              (error: unknown) => ({ error }),
            ),
          );
        return outcomes;
      }
    },
  });
  return {
    commit: <T>(runId: string, unit: CommitUnit<T>) => group.submit({ runId, unit }) as Promise<T>,
    get redone() {
      return redone;
    },
  };
}

/**
 * The order key of a unit that starts runs: it locks no existing run's row, so it goes before the units of
 * existing runs (its audit entries still join the transaction's one append, last).
 */
export const START_ORDER = '';

const committers = new WeakMap<AppContext, RunCommitter>();

/**
 * The context's one run committer: run starts (API, triggers) and the worker's claims and step commits of
 * one process share its transactions (on SQLite there is one writer anyway).
 */
export function runCommitterOf(ctx: AppContext): RunCommitter {
  let committer = committers.get(ctx);
  if (!committer) {
    committer = createRunCommitter(ctx.store, () => ctx.clock.now());
    committers.set(ctx, committer);
  }
  return committer;
}
