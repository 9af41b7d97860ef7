import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { Correlation } from '../../domain/alerts/alert.js';
import type { Case, CaseEvent, CaseStatus } from '../../domain/cases/case.js';
import type { Severity } from '../../domain/shared/severity.js';
import { storedObservableValues } from '../../domain/observables/stored-observable-values.js';
import { UUID_PATTERN } from '../../domain/shared/ids.js';
import type { StoreDialect } from '../dialects/store-dialect.js';
import type { Database } from '../schema.js';
import { caseTextMatch } from './case-search.repository.js';
import { correlationOf } from '../alerts/alert.repository.js';
import { caseEventRowToEvent, caseRowToCase } from './case.repository.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface CaseFilters {
  status?: readonly string[];
  severity?: readonly string[];
  assignee?: string;
  tag?: string;
  /** An observable's value (any type), e.g. an IP or a hash, in any form it is stored under. */
  observable?: string;
  /** Words (or word prefixes) in the title, description or comments, through the full-text index. */
  text?: string;
}

export interface CasePage {
  items: Case[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const encodeCaseCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');

/**
 * The case id a page's cursor holds, or undefined for text that is no cursor this API handed out: read as a
 * position anyway, `garbage` restarted the walk at the newest case (a client paging on looped forever) and a
 * cut-off cursor skipped cases.
 */
export function decodeCaseCursor(cursor: string): string | undefined {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return UUID_PATTERN.test(id) ? id : undefined;
}

const hasCaseConditions = (f: CaseFilters): boolean =>
  Boolean(f.status?.length || f.severity?.length || f.assignee || f.observable || f.text);

/** The filters on the case row itself (all but the tag), as conditions on `cases`. */
function caseConditions(
  eb: ExpressionBuilder<Database, 'cases'>,
  filters: CaseFilters,
  search: Pick<StoreDialect, 'textSearch'>,
): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [];
  if (filters.status?.length) out.push(eb('cases.status', 'in', [...filters.status]));
  if (filters.severity?.length) out.push(eb('cases.severity', 'in', [...filters.severity]));
  if (filters.assignee) out.push(eb('cases.assignee', '=', filters.assignee));
  if (filters.observable) {
    const values = storedObservableValues(filters.observable);
    out.push(
      eb(
        'cases.id',
        'in',
        eb
          .selectFrom('case_observables')
          .innerJoin('observables', 'observables.id', 'case_observables.observable_id')
          .select('case_observables.case_id')
          .where('observables.value', 'in', values),
      ),
    );
  }
  if (filters.text) {
    // A query with no searchable word (only punctuation) matches nothing rather than everything.
    out.push(caseTextMatch(search, filters.text) ?? sql<SqlBool>`1 = 0`);
  }
  return out;
}

/**
 * Cases newest first, filtered, a page at a time. Keyset pagination on the time-ordered id: every page costs
 * the same however deep, and the (filter, id) indexes serve the order.
 */
export async function listCases(
  db: Db,
  filters: CaseFilters,
  page: { cursor?: string; limit: number },
  search: Pick<StoreDialect, 'textSearch'>,
): Promise<CasePage> {
  const below = page.cursor ? decodeCaseCursor(page.cursor) : undefined;
  let q = db.selectFrom('cases').selectAll('cases');
  if (filters.tag) {
    // The page is chosen from the tag's own rows, newest first through (tag, case_id), each checked against the
    // other filters by its primary key: the work is bounded by the tag's size. As a plain semi-join, PostgreSQL
    // (taking tag and severity as independent) walks every newer case and filters instead, which for a
    // combination that matches little reads the whole table (12-26 ms at 100,000 cases, growing with it).
    const tag = filters.tag;
    q = q.where('cases.id', 'in', (eb) => {
      let ids = eb.selectFrom('case_tags as t').select('t.case_id').where('t.tag', '=', tag);
      if (below) ids = ids.where('t.case_id', '<', below);
      if (hasCaseConditions(filters)) {
        // A scalar subquery, not EXISTS: EXISTS would be planned as the same semi-join again.
        ids = ids.where(
          (e) =>
            e
              .selectFrom('cases')
              .select(sql.lit(1).as('one'))
              .whereRef('cases.id', '=', 't.case_id')
              .where((c) => c.and(caseConditions(c, filters, search)))
              .limit(1),
          'is not',
          null,
        );
      }
      return ids.orderBy('t.case_id', 'desc').limit(page.limit + 1);
    });
  } else {
    if (hasCaseConditions(filters)) q = q.where((eb) => eb.and(caseConditions(eb, filters, search)));
    if (below) q = q.where('cases.id', '<', below);
  }
  const rows = await q
    .orderBy('cases.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit).map(caseRowToCase);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > page.limit && last ? encodeCaseCursor(last.id) : null };
}

/**
 * A case's timeline in order (its own events and those of cases merged into it), after `afterId`. One
 * statement: the merged cases are a subquery, so a timeline read is one round trip to the database.
 */
export async function listTimeline(
  db: Db,
  caseId: string,
  options: { afterId?: string; limit: number },
): Promise<CaseEvent[]> {
  let q = db
    .selectFrom('case_events')
    .selectAll()
    // An IN over a small set (this case and those merged into it) lets both stores walk the (case_id, id)
    // index per case; an OR with a subquery would make PostgreSQL filter the whole event table instead.
    .where(
      'case_id',
      'in',
      sql<string>`(select cast(${caseId} as text) union all select id from cases where merged_into = ${caseId})`,
    );
  if (options.afterId) q = q.where('id', '>', options.afterId);
  const rows = await q.orderBy('id').limit(options.limit).execute();
  return rows.map(caseEventRowToEvent);
}

export interface CaseObservable {
  id: string;
  type: string;
  value: string;
  verdict: string | null;
  verdictSource: string | null;
  /** The observable's own tags (every case that holds it shows the same). */
  tags: string[];
  origin: string;
  addedAt: number;
  /** Other cases that hold this observable. */
  otherCases: number;
  /** Distinct alerts, in any case, that carry it. */
  alerts: number;
  /** Distinct alerts of this case that carry it. */
  caseAlerts: number;
}

/** A case's observables with their sightings across cases and alerts ("seen in 3 other cases"). */
export async function listCaseObservables(db: Db, caseId: string): Promise<CaseObservable[]> {
  const rows = await db
    .selectFrom('case_observables')
    .innerJoin('observables', 'observables.id', 'case_observables.observable_id')
    .select([
      'observables.id',
      'observables.type',
      'observables.value',
      'observables.verdict',
      'observables.verdict_source',
      'observables.tags',
      'case_observables.origin',
      'case_observables.added_at',
    ])
    .where('case_observables.case_id', '=', caseId)
    .orderBy('observables.type')
    .orderBy('observables.value')
    .execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const cases = await db
    .selectFrom('case_observables')
    .select(['observable_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('observable_id', 'in', ids)
    .where('case_id', '!=', caseId)
    .groupBy('observable_id')
    .execute();
  // Distinct alerts: alert_observables holds a row per role, so an alert with the same address as source and
  // destination was counted twice.
  const alerts = await db
    .selectFrom('alert_observables')
    .select(['observable_id', (eb) => eb.fn.count<number>('alert_id').distinct().as('n')])
    .where('observable_id', 'in', ids)
    .groupBy('observable_id')
    .execute();
  const here = await db
    .selectFrom('alert_observables')
    .innerJoin('alerts', 'alerts.id', 'alert_observables.alert_id')
    .select([
      'alert_observables.observable_id',
      (eb) => eb.fn.count<number>('alert_observables.alert_id').distinct().as('n'),
    ])
    .where('alert_observables.observable_id', 'in', ids)
    .where('alerts.case_id', '=', caseId)
    .groupBy('alert_observables.observable_id')
    .execute();
  const caseCount = new Map(cases.map((r) => [r.observable_id, Number(r.n)]));
  const alertCount = new Map(alerts.map((r) => [r.observable_id, Number(r.n)]));
  const hereCount = new Map(here.map((r) => [r.observable_id, Number(r.n)]));
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    value: r.value,
    verdict: r.verdict,
    verdictSource: r.verdict_source,
    tags: JSON.parse(r.tags) as string[],
    origin: r.origin,
    addedAt: Number(r.added_at),
    otherCases: caseCount.get(r.id) ?? 0,
    alerts: alertCount.get(r.id) ?? 0,
    caseAlerts: hereCount.get(r.id) ?? 0,
  }));
}

export interface CaseAlert {
  id: string;
  title: string;
  source: string;
  severity: string;
  time: number;
  count: number;
  firstSeen: number;
  lastSeen: number;
  correlation: Correlation | null;
}

/** A case's newest alerts (up to `limit`), and how many it holds in all. */
export async function listCaseAlerts(
  db: Db,
  caseId: string,
  limit: number,
): Promise<{ items: CaseAlert[]; total: number }> {
  const rows = await db
    .selectFrom('alerts')
    .select(['id', 'title', 'source', 'severity', 'time', 'count', 'first_seen', 'last_seen', 'correlation'])
    .where('case_id', '=', caseId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  // Counted only when the page is full: the (case_id, id) index answers it, but most cases fit in a page.
  const total =
    rows.length < limit
      ? rows.length
      : Number(
          (
            await db
              .selectFrom('alerts')
              .select((eb) => eb.fn.countAll<number | string>().as('n'))
              .where('case_id', '=', caseId)
              .executeTakeFirstOrThrow()
          ).n,
        );
  const items = rows.map((r) => ({
    id: r.id,
    title: r.title,
    source: r.source,
    severity: r.severity,
    time: Number(r.time),
    count: r.count,
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    correlation: correlationOf(r.correlation),
  }));
  return { items, total };
}

/** What a page naming cases by id shows of each: its number, title, status and severity. */
export interface CaseSummary {
  id: string;
  number: number;
  title: string;
  status: CaseStatus;
  severity: Severity;
}

/**
 * Number, title, status and severity of these cases (unknown ids are left out), in one statement: callers
 * pass a page's worth of ids (the alerts list, at most 500), well under either store's parameter limit.
 */
export async function listCaseSummaries(db: Db, ids: readonly string[]): Promise<CaseSummary[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('cases')
    .select(['id', 'number', 'title', 'status', 'severity'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  // PostgreSQL answers the bigint number as text.
  return rows.map((r) => ({
    id: r.id,
    number: Number(r.number),
    title: r.title,
    status: r.status as CaseStatus,
    severity: r.severity as Severity,
  }));
}
