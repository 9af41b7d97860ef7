import type { Transaction } from 'kysely';
import type { Case, CaseEvent } from '../../domain/cases/case.js';
import type { Actor } from '../../domain/shared/actor.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { appendCaseEvent, findCaseById } from '../../store/cases/case.repository.js';
import type { StoreDialect } from '../../store/dialects/store-dialect.js';
import { enqueueJob } from '../../store/queue/queue.repository.js';
import type { Database } from '../../store/schema.js';

/** What every case command needs besides its transaction: ids, and what the store can do. */
export interface CaseCommandDeps {
  newId: () => string;
  dialect: StoreDialect;
}

/**
 * Reads a case for a change. On PostgreSQL the row is locked until commit so two concurrent changes are
 * checked one after the other; SQLite's write transaction already serialises them.
 */
export async function loadCaseForChange(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  caseId: string,
  options: { allowMerged?: boolean } = {},
): Promise<Case> {
  const kase = await findCaseById(trx, caseId, { lockRow: deps.dialect.supportsRowLocks });
  if (!kase) throw notFound('case', caseId);
  if (kase.mergedInto && !options.allowMerged) {
    throw new RiposteError(
      'RIPOSTE_CONFLICT',
      `case ${caseId} was merged into ${kase.mergedInto}; change that case`,
      {
        details: [{ path: 'caseId', message: `merged into ${kase.mergedInto}` }],
      },
    );
  }
  return kase;
}

export interface CaseChange {
  caseId: string;
  /** Timeline event type, e.g. `status_changed`. */
  type: string;
  actor: Actor;
  data: Record<string, unknown>;
  /** Audit action, e.g. `case.status_changed`. */
  action: string;
}

/**
 * Records one change: the timeline event and the audit entry, in the caller's transaction. Status changes
 * also enqueue a `case.event` trigger so playbooks can react; the key makes a retried commit enqueue once.
 */
export async function recordCaseChange(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  change: CaseChange,
  now: number,
): Promise<CaseEvent> {
  const event = await appendCaseEvent(
    trx,
    deps,
    { caseId: change.caseId, type: change.type, actor: change.actor, data: change.data },
    now,
  );
  await appendAudit(
    trx,
    deps,
    {
      actor: change.actor,
      action: change.action,
      target: { type: 'case', id: change.caseId },
      details: { eventId: event.id, ...change.data },
    },
    now,
  );
  if (change.type === 'status_changed') {
    await enqueueJob(
      trx,
      deps,
      {
        queue: 'triggers',
        kind: 'case.event',
        payload: { caseId: change.caseId, eventId: event.id, type: change.type },
        dedupeKey: `case.event:${event.id}`,
      },
      now,
    );
  }
  return event;
}
