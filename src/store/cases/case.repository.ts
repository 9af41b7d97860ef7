import type { Kysely, Transaction, Updateable } from 'kysely';
import type { Case, CaseEvent, CaseStatus } from '../../domain/cases/case.js';
import type { Actor } from '../../domain/shared/actor.js';
import type { Severity } from '../../domain/shared/severity.js';
import { chunks } from '../chunks.js';
import { nextCounterValues } from '../counters.repository.js';
import { insertRows } from '../insert-rows.js';
import { projectCaseEvent, projectOpenedCases } from './case-milestones.repository.js';
import { refreshCaseSearch, SEARCH_EVENT_TYPES, writeOpenedCaseSearch } from './case-search.repository.js';
import { replaceCaseTags } from './case-tags.repository.js';
import { scheduleOpenedCaseSlaChecks, type OpenedCaseWrites } from './sla-schedule.repository.js';
import type { Database } from '../schema.js';
import type { CaseEventRow, CaseRow, CaseTable } from './case.table.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface CaseRepoDeps {
  newId: () => string;
}

export const caseRowToCase = (row: CaseRow): Case => ({
  id: row.id,
  number: Number(row.number),
  title: row.title,
  description: row.description,
  severity: row.severity as Severity,
  priority: row.priority,
  status: row.status as CaseStatus,
  resolution: row.resolution,
  assignee: row.assignee,
  tags: JSON.parse(row.tags) as string[],
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  closedAt: row.closed_at,
  mergedInto: row.merged_into,
  caseType: row.case_type,
});

export const caseEventRowToEvent = (row: CaseEventRow): CaseEvent => ({
  id: row.id,
  caseId: row.case_id,
  at: row.at,
  type: row.type,
  actor: { type: row.actor_type as Actor['type'], id: row.actor_id, name: row.actor_name },
  data: JSON.parse(row.data) as Record<string, unknown>,
});

export interface NewCase {
  title: string;
  description?: string;
  severity: Severity;
  priority?: number;
  assignee?: string | null;
  tags?: string[];
  actor: Actor;
  /** Extra data for the `case_created` timeline event (the alert that opened it, the correlation reason). */
  origin?: Record<string, unknown>;
}

/** Opens a case in status `new` with the next case number, and puts `case_created` on its timeline. */
export async function createCase(
  trx: Transaction<Database>,
  deps: CaseRepoDeps,
  input: NewCase,
  now: number,
): Promise<Case> {
  const [kase] = await createCases(trx, deps, [input], now);
  return kase as Case;
}

/**
 * Opens cases as `createCase` does each (numbers in input order, the same rows, events and projections), in
 * a few statements for all of them: ingest opens many cases a batch. An input's `id` is used when given.
 * With `given` (ingest on PostgreSQL), only the case numbers are a round trip of their own: the rest goes
 * with the caller's deferred writes.
 */
export async function createCases(
  trx: Transaction<Database>,
  deps: CaseRepoDeps,
  inputs: ReadonlyArray<NewCase & { id?: string }>,
  now: number,
  given: OpenedCaseWrites = {},
): Promise<Case[]> {
  if (inputs.length === 0) return [];
  const writes = given.writes ?? trx;
  const numbers = await nextCounterValues(trx, 'case_number', inputs.length);
  const rows: CaseRow[] = inputs.map((input, i) => ({
    id: input.id ?? deps.newId(),
    number: numbers[i] as number,
    title: input.title,
    description: input.description ?? '',
    severity: input.severity,
    priority: input.priority ?? defaultPriority(input.severity),
    status: 'new',
    resolution: null,
    assignee: input.assignee ?? null,
    tags: JSON.stringify(input.tags ?? []),
    created_at: now,
    updated_at: now,
    closed_at: null,
    merged_into: null,
    case_type: null,
  }));
  // 15 columns × 100 rows stays far under SQLite's bound-value limit.
  for (const chunk of chunks(rows, 100)) await writes.insertInto('cases').values(chunk).execute();
  for (const [i, row] of rows.entries()) {
    const tags = inputs[i]?.tags ?? [];
    if (tags.length > 0) await replaceCaseTags(writes, row.id, tags);
  }
  await scheduleOpenedCaseSlaChecks(
    trx,
    deps,
    rows.map((row) => ({ caseId: row.id, severity: row.severity as Severity, createdAt: now })),
    now,
    given,
  );
  const events = await insertCaseEvents(
    writes,
    deps,
    rows.map((row, i) => ({
      caseId: row.id,
      type: 'case_created',
      actor: inputs[i]?.actor as Actor,
      data: { number: row.number, severity: row.severity, ...inputs[i]?.origin },
    })),
    now,
  );
  await projectOpenedCases(
    writes,
    rows.map((row, i) => ({
      caseId: row.id,
      severity: row.severity,
      assignee: row.assignee,
      event: events[i] as CaseEvent,
    })),
  );
  await writeOpenedCaseSearch(writes, rows);
  return rows.map(caseRowToCase);
}

/** P1 for critical down to P5 for info. */
const defaultPriority = (severity: Severity): number =>
  ({ critical: 1, high: 2, medium: 3, low: 4, info: 5 })[severity];

export interface NewCaseEvent {
  caseId: string;
  type: string;
  actor: Actor;
  data?: Record<string, unknown>;
}

/**
 * Adds an event to a case's timeline and touches the case's `updated_at`. Lifecycle events also move the
 * case's milestone projection, and creation, updates and comments its searchable text, here, the one place
 * events are appended, so they commit with the event or not at all.
 */
export async function appendCaseEvent(
  db: Db,
  deps: CaseRepoDeps,
  input: NewCaseEvent,
  now: number,
): Promise<CaseEvent> {
  const [event] = (await insertCaseEvents(db, deps, [input], now)) as [CaseEvent];
  await db.updateTable('cases').set({ updated_at: now }).where('id', '=', input.caseId).execute();
  await projectCaseEvent(db, event.caseId, event);
  if ((SEARCH_EVENT_TYPES as readonly string[]).includes(event.type))
    await refreshCaseSearch(db, event.caseId);
  return event;
}

/**
 * Writes timeline events, many rows to a statement, and returns them. Only the rows: `appendCaseEvent` (and
 * `createCases`) also touch the case and move its projections; callers of this one do what their events need.
 */
export async function insertCaseEvents(
  db: Db,
  deps: CaseRepoDeps,
  inputs: readonly NewCaseEvent[],
  now: number,
): Promise<CaseEvent[]> {
  const events: CaseEvent[] = inputs.map((input) => ({
    id: deps.newId(),
    caseId: input.caseId,
    at: now,
    type: input.type,
    actor: input.actor,
    data: input.data ?? {},
  }));
  await insertRows(
    db,
    'case_events',
    ['id', 'case_id', 'at', 'type', 'actor_type', 'actor_id', 'actor_name', 'data'],
    events.map((event) => ({
      id: event.id,
      case_id: event.caseId,
      at: event.at,
      type: event.type,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      actor_name: event.actor.name,
      data: JSON.stringify(event.data),
    })),
  );
  return events;
}

/** Attaches observables to a case; ones already attached are left as they are. */
export async function addCaseObservables(
  db: Db,
  caseId: string,
  observableIds: readonly string[],
  origin: string,
  now: number,
): Promise<void> {
  if (observableIds.length === 0) return;
  await db
    .insertInto('case_observables')
    .values(
      [...new Set(observableIds)].map((observable_id) => ({
        case_id: caseId,
        observable_id,
        origin,
        added_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['case_id', 'observable_id']).doNothing())
    .execute();
}

/** A case by id. `lockRow` locks it until commit (PostgreSQL `FOR UPDATE`), for a read that precedes a change. */
export async function findCaseById(
  db: Db,
  id: string,
  options: { lockRow?: boolean } = {},
): Promise<Case | undefined> {
  let q = db.selectFrom('cases').selectAll().where('id', '=', id);
  if (options.lockRow) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? caseRowToCase(row) : undefined;
}

/** A case's id by its number (`#42`). */
export async function findCaseIdByNumber(db: Db, number: number): Promise<string | undefined> {
  const row = await db.selectFrom('cases').select('id').where('number', '=', number).executeTakeFirst();
  return row?.id;
}

/** The case fields a person may change; only those given are written. */
export type CaseFieldsPatch = Partial<
  Pick<Case, 'title' | 'description' | 'severity' | 'priority' | 'assignee' | 'caseType' | 'tags'>
>;

/** Writes the given fields of a case (the tag index is `replaceCaseTags`'s). */
export async function updateCaseFields(db: Db, caseId: string, patch: CaseFieldsPatch): Promise<void> {
  const set: Updateable<CaseTable> = {
    title: patch.title,
    description: patch.description,
    severity: patch.severity,
    priority: patch.priority,
    assignee: patch.assignee,
    case_type: patch.caseType,
    tags: patch.tags && JSON.stringify(patch.tags),
  };
  await db.updateTable('cases').set(set).where('id', '=', caseId).execute();
}

/** Writes a case's lifecycle state; `mergedInto` also points a case merged away at its survivor. */
export async function setCaseStatus(
  db: Db,
  caseId: string,
  state: { status: CaseStatus; resolution: string | null; closedAt: number | null; mergedInto?: string },
): Promise<void> {
  await db
    .updateTable('cases')
    .set({
      status: state.status,
      resolution: state.resolution,
      closed_at: state.closedAt,
      merged_into: state.mergedInto,
    })
    .where('id', '=', caseId)
    .execute();
}

/** Cases merged into `fromCaseId` now point at `toCaseId`. */
export async function repointMergedCases(db: Db, fromCaseId: string, toCaseId: string): Promise<void> {
  await db
    .updateTable('cases')
    .set({ merged_into: toCaseId })
    .where('merged_into', '=', fromCaseId)
    .execute();
}

/** The observables attached to a case and how each came (`alert`, `manual`, `playbook`). */
export async function listCaseObservableLinks(
  db: Db,
  caseId: string,
): Promise<Array<{ observableId: string; origin: string }>> {
  const rows = await db
    .selectFrom('case_observables')
    .select(['observable_id', 'origin'])
    .where('case_id', '=', caseId)
    .execute();
  return rows.map((r) => ({ observableId: r.observable_id, origin: r.origin }));
}

/** Whether the case's timeline already holds `sla_breached` for this clock and due time. */
export async function hasSlaBreachEvent(
  db: Db,
  caseId: string,
  breach: { clock: string; dueAt: number },
): Promise<boolean> {
  const earlier = await db
    .selectFrom('case_events')
    .select('data')
    .where('case_id', '=', caseId)
    .where('type', '=', 'sla_breached')
    .execute();
  return earlier.some((e) => {
    const d = JSON.parse(e.data) as { clock?: string; dueAt?: number };
    return d.clock === breach.clock && d.dueAt === breach.dueAt;
  });
}

/** A case's timeline in order, a page at a time (events after `afterId`). */
export async function listCaseEvents(
  db: Db,
  caseId: string,
  options: { afterId?: string; limit: number },
): Promise<CaseEvent[]> {
  let q = db.selectFrom('case_events').selectAll().where('case_id', '=', caseId);
  if (options.afterId) q = q.where('id', '>', options.afterId);
  const rows = await q.orderBy('id').limit(options.limit).execute();
  return rows.map(caseEventRowToEvent);
}
