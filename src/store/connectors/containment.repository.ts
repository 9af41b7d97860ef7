import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { ContainmentStatus, type ContainmentRow } from './connector.table.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A containment as the rest of Riposte sees it. */
export interface Containment {
  id: string;
  idempotencyKey: string;
  action: string;
  connector: string;
  instance: string;
  input: Record<string, unknown>;
  output: unknown;
  targets: Array<{ kind: string; value: string }>;
  undo: { action: string; input: Record<string, unknown> } | null;
  status: ContainmentStatus;
  runId: string;
  stepId: string;
  playbookId: string;
  caseId: string | null;
  createdAt: number;
  expiresAt: number | null;
  undoneAt: number | null;
  undoneBy: string | null;
  lastError: string | null;
}

export const containmentRowToContainment = (row: ContainmentRow): Containment => ({
  id: row.id,
  idempotencyKey: row.idempotency_key,
  action: row.action,
  connector: row.connector,
  instance: row.instance,
  input: JSON.parse(row.input) as Record<string, unknown>,
  output: JSON.parse(row.output) as unknown,
  targets: JSON.parse(row.targets) as Containment['targets'],
  undo:
    row.undo_action && row.undo_input
      ? { action: row.undo_action, input: JSON.parse(row.undo_input) as Record<string, unknown> }
      : null,
  status: row.status,
  runId: row.run_id,
  stepId: row.step_id,
  playbookId: row.playbook_id,
  caseId: row.case_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  undoneAt: row.undone_at,
  undoneBy: row.undone_by,
  lastError: row.last_error,
});

export type NewContainment = Omit<Containment, 'status' | 'undoneAt' | 'undoneBy' | 'lastError'>;

/** Records a containment; a second insert with the same idempotency key is a no-op returning the first. */
export async function insertContainment(
  db: Db,
  c: NewContainment,
): Promise<{ containment: Containment; created: boolean }> {
  const inserted = await db
    .insertInto('containments')
    .values({
      id: c.id,
      idempotency_key: c.idempotencyKey,
      action: c.action,
      connector: c.connector,
      instance: c.instance,
      input: JSON.stringify(c.input),
      output: JSON.stringify(c.output ?? null),
      targets: JSON.stringify(c.targets),
      undo_action: c.undo?.action ?? null,
      undo_input: c.undo ? JSON.stringify(c.undo.input) : null,
      status: ContainmentStatus.active,
      run_id: c.runId,
      step_id: c.stepId,
      playbook_id: c.playbookId,
      case_id: c.caseId,
      created_at: c.createdAt,
      expires_at: c.expiresAt,
      undone_at: null,
      undone_by: null,
      last_error: null,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { containment: containmentRowToContainment(inserted), created: true };
  const existing = await db
    .selectFrom('containments')
    .selectAll()
    .where('idempotency_key', '=', c.idempotencyKey)
    .executeTakeFirstOrThrow();
  return { containment: containmentRowToContainment(existing), created: false };
}

export async function findContainment(db: Db, id: string): Promise<Containment | undefined> {
  const row = await db.selectFrom('containments').selectAll().where('id', '=', id).executeTakeFirst();
  return row && containmentRowToContainment(row);
}

export async function listContainments(
  db: Db,
  filter: { status?: ContainmentStatus; limit?: number } = {},
): Promise<Containment[]> {
  let q = db
    .selectFrom('containments')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 200);
  if (filter.status) q = q.where('status', '=', filter.status);
  return (await q.execute()).map(containmentRowToContainment);
}

/** How many containments started in the window, for a playbook or a connector. */
export async function countRecentContainments(
  db: Db,
  scope: { playbookId: string } | { connector: string },
  since: number,
): Promise<number> {
  let q = db
    .selectFrom('containments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('created_at', '>=', since);
  q =
    'playbookId' in scope
      ? q.where('playbook_id', '=', scope.playbookId)
      : q.where('connector', '=', scope.connector);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Marks a containment undone (or its undo failed); only from `active` or `undo_failed`, so it happens once. */
export async function markContainmentUndo(
  db: Db,
  id: string,
  outcome: { status: 'undone' | 'undo_failed'; by: string; at: number; error?: string },
): Promise<boolean> {
  const result = await db
    .updateTable('containments')
    .set({
      status: outcome.status,
      undone_at: outcome.status === 'undone' ? outcome.at : null,
      undone_by: outcome.by,
      last_error: outcome.error ?? null,
    })
    .where('id', '=', id)
    .where('status', 'in', [ContainmentStatus.active, ContainmentStatus.undoFailed])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
