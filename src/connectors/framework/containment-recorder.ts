import type { Transaction } from 'kysely';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { appendCaseEvent } from '../../store/cases/case.repository.js';
import {
  insertContainment,
  type Containment,
  type NewContainment,
} from '../../store/connectors/containment.repository.js';
import { enqueueJob } from '../../store/queue/queue.repository.js';
import type { Database } from '../../store/schema.js';
import type { Store } from '../../store/store.js';

/** The durable timer that rolls a containment back: queue and job kind the worker binds a handler to. */
export const CONTAINMENT_EXPIRY_QUEUE = 'timers';
export const CONTAINMENT_EXPIRY_KIND = 'containment.expire';

export interface ContainmentExpiryPayload {
  containmentId: string;
}

/**
 * Records a containment that was carried out, its audit entry, and its expiry timer, in one transaction.
 * The idempotency key makes a retried step record it once.
 */
export async function recordContainment(
  store: Store,
  deps: { newId: () => string },
  containment: NewContainment,
  now: number,
): Promise<Containment> {
  return store.db.transaction().execute(async (trx: Transaction<Database>) => {
    const { containment: saved, created } = await insertContainment(trx, containment);
    if (!created) return saved;
    await appendAudit(
      trx,
      { dialect: store.dialect },
      {
        actor: SYSTEM_ACTOR,
        action: 'containment.applied',
        target: { type: 'containment', id: saved.id },
        details: {
          action: saved.action,
          instance: saved.instance,
          targets: saved.targets,
          runId: saved.runId,
          stepId: saved.stepId,
          playbookId: saved.playbookId,
          caseId: saved.caseId,
          expiresAt: saved.expiresAt,
          undo: saved.undo?.action ?? null,
        },
      },
      now,
    );
    if (saved.caseId) {
      // The case shows what automation contained, how to undo it and until when.
      await appendCaseEvent(
        trx,
        { newId: deps.newId },
        {
          caseId: saved.caseId,
          type: 'containment.applied',
          actor: SYSTEM_ACTOR,
          data: {
            containmentId: saved.id,
            action: saved.action,
            instance: saved.instance,
            targets: saved.targets,
            undo: saved.undo?.action ?? null,
            expiresAt: saved.expiresAt,
            runId: saved.runId,
            stepId: saved.stepId,
          },
        },
        now,
      );
    }
    if (saved.expiresAt !== null && saved.undo) {
      const payload: ContainmentExpiryPayload = { containmentId: saved.id };
      await enqueueJob(
        trx,
        { dialect: store.dialect, newId: deps.newId },
        {
          queue: CONTAINMENT_EXPIRY_QUEUE,
          kind: CONTAINMENT_EXPIRY_KIND,
          payload,
          runAt: saved.expiresAt,
          dedupeKey: `containment.expire:${saved.id}`,
        },
        now,
      );
    }
    return saved;
  });
}
