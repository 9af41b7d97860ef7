import { ConnectorError, type ActionExecutor } from '../../connectors/action-executor.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid, notFound, RiposteError } from '../../domain/shared/errors.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import {
  findContainment,
  markContainmentUndo,
  type Containment,
} from '../../store/connectors/containment.repository.js';
import { ContainmentStatus } from '../../store/connectors/connector.table.js';
import type { AppContext } from '../context.js';

export type UndoOutcome =
  { status: 'undone'; containment: Containment } | { status: 'already'; containment: Containment };

/**
 * Carries out a containment's recorded undo action, then marks it undone with an audit entry in one
 * transaction. The undo runs under a key derived from the containment, so a retried undo is the same undo.
 * When the vendor refuses, the containment is marked `undo_failed` (still in force) and the error is thrown.
 */
export async function undoContainment(
  ctx: AppContext,
  executor: Pick<ActionExecutor, 'execute'>,
  actor: Actor,
  id: string,
  signal: AbortSignal,
  reason: 'manual' | 'expired' = 'manual',
): Promise<UndoOutcome> {
  const containment = await findContainment(ctx.store.db, id);
  if (!containment) throw notFound('containment', id);
  if (containment.status === ContainmentStatus.undone) return { status: 'already', containment };
  if (!containment.undo) {
    throw invalid(
      `containment ${id} (${containment.action}) has no undo action: reverse it on the vendor's console`,
    );
  }
  const record = async (status: 'undone' | 'undo_failed', error?: string) =>
    ctx.store.db.transaction().execute(async (trx) => {
      const changed = await markContainmentUndo(trx, id, {
        status,
        by: `${actor.type}:${actor.id}`,
        at: ctx.clock.now(),
        error,
      });
      if (changed) {
        await appendAudit(
          trx,
          { dialect: ctx.store.dialect },
          {
            actor,
            action: status === 'undone' ? 'containment.undone' : 'containment.undo_failed',
            target: { type: 'containment', id },
            outcome: status === 'undone' ? 'success' : 'failure',
            details: {
              action: containment.undo?.action,
              reason,
              targets: containment.targets,
              ...(error ? { error } : {}),
            },
          },
          ctx.clock.now(),
        );
      }
      return changed;
    });
  try {
    await executor.execute(
      {
        action: containment.undo.action,
        instance: containment.instance,
        input: containment.undo.input,
        idempotencyKey: `undo:${containment.id}`,
        dryRun: false,
        context: {
          runId: containment.runId,
          stepId: containment.stepId,
          playbookId: containment.playbookId,
          caseId: containment.caseId ?? undefined,
        },
      },
      signal,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await record('undo_failed', message);
    if (err instanceof ConnectorError) {
      throw new RiposteError(
        err.retryable ? 'RIPOSTE_UNAVAILABLE' : 'RIPOSTE_UNPROCESSABLE',
        `undo of containment ${id} failed: ${message}`,
        { cause: err },
      );
    }
    throw err;
  }
  await record('undone');
  const after = await findContainment(ctx.store.db, id);
  return { status: 'undone', containment: after ?? containment };
}
