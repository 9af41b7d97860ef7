import type { Kysely, Transaction } from 'kysely';
import type { CaseStatus } from '../../domain/cases/case.js';
import type { CaseResolution } from '../../domain/cases/case-lifecycle.js';
import {
  applyLifecycleEvent,
  deriveMilestones,
  emptyMilestones,
  isLifecycleEventType,
  LIFECYCLE_EVENT_TYPES,
  type CaseMilestones,
  type LifecycleEvent,
} from '../../domain/cases/case-milestones.js';
import { chunks } from '../chunks.js';
import type { Database } from '../schema.js';
import type { CaseMilestoneRow } from './case-projection.table.js';

type Db = Kysely<Database> | Transaction<Database>;

const rowToMilestones = (r: CaseMilestoneRow): CaseMilestones => ({
  createdAt: Number(r.created_at),
  acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
  containedAt: r.contained_at === null ? null : Number(r.contained_at),
  resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
  resolution: r.resolution as CaseResolution | null,
  status: r.status as CaseStatus,
});

interface CaseLabels {
  severity: string;
  assignee: string | null;
}

// Only called once the fold has seen the creation event: a case's first event.
const milestonesToRow = (
  caseId: string,
  m: CaseMilestones & { createdAt: number },
  labels: CaseLabels,
): CaseMilestoneRow => ({
  case_id: caseId,
  severity: labels.severity,
  assignee: labels.assignee,
  created_at: m.createdAt,
  acknowledged_at: m.acknowledgedAt,
  contained_at: m.containedAt,
  resolved_at: m.resolvedAt,
  resolution: m.resolution,
  status: m.status,
});

/**
 * Folds one just-appended timeline event into the case's milestone row, in the caller's transaction (the one
 * that appends the event), so the projection never lags the log. Severity and assignee, which metrics group
 * by, are copied from the case row (written before its event) on creation and on `case_updated`, the only
 * event that changes them. Other events cost nothing.
 */
export async function projectCaseEvent(db: Db, caseId: string, event: LifecycleEvent): Promise<void> {
  const relabel = event.type === 'case_updated';
  if (!relabel && !isLifecycleEventType(event.type)) return;
  const labels = await db
    .selectFrom('cases')
    .select(['severity', 'assignee'])
    .where('id', '=', caseId)
    .executeTakeFirst();
  if (!labels) return;
  const row = await db
    .selectFrom('case_milestones')
    .selectAll()
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  const m = applyLifecycleEvent(row ? rowToMilestones(row) : emptyMilestones(), event);
  if (!hasCreation(m)) return;
  const next = milestonesToRow(caseId, m, labels);
  if (row) {
    const { case_id: _id, ...set } = next;
    await db.updateTable('case_milestones').set(set).where('case_id', '=', caseId).execute();
  } else {
    await db.insertInto('case_milestones').values(next).execute();
  }
}

/**
 * The milestone rows of cases just opened, from their creation events (what `projectCaseEvent` writes for
 * each), many rows to a statement. Same transaction as the events.
 */
export async function projectOpenedCases(
  db: Db,
  opened: ReadonlyArray<{ caseId: string; severity: string; assignee: string | null; event: LifecycleEvent }>,
): Promise<void> {
  const rows = opened.flatMap((o) => {
    const m = applyLifecycleEvent(emptyMilestones(), o.event);
    return hasCreation(m) ? [milestonesToRow(o.caseId, m, o)] : [];
  });
  // 9 columns × 200 rows stays far under SQLite's bound-value limit.
  for (const chunk of chunks(rows, 200)) await db.insertInto('case_milestones').values(chunk).execute();
}

/** A case's milestones as projected; undefined for an unknown case. */
export async function findCaseMilestones(db: Db, caseId: string): Promise<CaseMilestones | undefined> {
  const row = await db
    .selectFrom('case_milestones')
    .selectAll()
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  return row ? rowToMilestones(row) : undefined;
}

const hasCreation = (m: CaseMilestones): m is CaseMilestones & { createdAt: number } => m.createdAt !== null;

const PAGE = 500;

/**
 * Recomputes every case's milestones from the event log alone (labels from the case rows) and replaces the projection with them: the
 * projection's definition, used after a bulk load, by the migration that introduced it, and by the test that
 * holds the incremental projection to it. Pages through cases so memory stays flat at any size. Writers
 * appending meanwhile would be missed: run it in a transaction or while nothing writes.
 */
export async function rebuildCaseMilestones(db: Db): Promise<number> {
  let after = '';
  let total = 0;
  await db.deleteFrom('case_milestones').execute();
  for (;;) {
    const cases = await db
      .selectFrom('cases')
      .select(['id', 'severity', 'assignee'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (cases.length === 0) return total;
    const ids = cases.map((c) => c.id);
    const labels = new Map(cases.map((c) => [c.id, c]));
    after = ids[ids.length - 1] as string;
    // The page's cases are a contiguous id range, so their timelines are one range read of the (case_id, id)
    // index, in fold order. Filtering by type here rather than in SQL keeps a planner without statistics
    // (SQLite before ANALYZE) off the (type, …) indexes, which would read every lifecycle event of every
    // case for each page: minutes instead of seconds at 100,000 cases.
    const events = await db
      .selectFrom('case_events')
      .select(['case_id', 'type', 'at', 'data'])
      .where('case_id', '>=', ids[0] as string)
      .where('case_id', '<=', after)
      .orderBy('case_id')
      .orderBy('id')
      .execute();
    const byCase = new Map<string, LifecycleEvent[]>();
    for (const e of events) {
      if (!isLifecycleEventType(e.type)) continue;
      const list = byCase.get(e.case_id) ?? [];
      list.push({ type: e.type, at: Number(e.at), data: JSON.parse(e.data) as Record<string, unknown> });
      byCase.set(e.case_id, list);
    }
    const rows = [...byCase.entries()].flatMap(([caseId, list]) => {
      const m = deriveMilestones(list);
      const l = labels.get(caseId);
      return hasCreation(m) && l ? [milestonesToRow(caseId, m, l)] : [];
    });
    if (rows.length > 0) await db.insertInto('case_milestones').values(rows).execute();
    total += rows.length;
  }
}

/**
 * The lifecycle events (creation, status changes) of every case with any timeline event in the period, by
 * case then time: a case's whole lifecycle, also the part outside the period.
 */
export async function listLifecycleEventsOfCasesActiveIn(
  db: Db,
  period: { from: number; to: number },
): Promise<Array<LifecycleEvent & { caseId: string }>> {
  const rows = await db
    .selectFrom('case_events')
    .select(['case_id', 'at', 'type', 'data'])
    .where('case_id', 'in', (eb) =>
      eb
        .selectFrom('case_events')
        .select('case_id')
        .where('at', '>=', period.from)
        .where('at', '<', period.to),
    )
    .where('type', 'in', [...LIFECYCLE_EVENT_TYPES])
    .orderBy('case_id')
    .orderBy('at')
    .execute();
  return rows.map((r) => ({
    caseId: r.case_id,
    type: r.type,
    at: Number(r.at),
    data: JSON.parse(r.data) as Record<string, unknown>,
  }));
}
