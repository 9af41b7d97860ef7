import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import { storedObservableValues } from '../../domain/observables/stored-observable-values.js';
import type { Severity } from '../../domain/shared/severity.js';
import { chunks } from '../chunks.js';
import type { Database } from '../schema.js';
import type { AlertRow } from './alert.table.js';

type Db = Kysely<Database> | Transaction<Database>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- any selection over alerts
type AlertsQuery<O = {}> = SelectQueryBuilder<Database, 'alerts', O>;

export interface AlertFilter {
  from?: number;
  to?: number;
  source?: string;
  severity?: Severity[];
  caseId?: string;
  /** An observable's value (any type), in any form it is stored under (see storedObservableValues). */
  observable?: string;
  /** Page after this alert id (ids sort by creation; newest first). */
  cursor?: string;
  limit: number;
}

/**
 * A time range holding fewer alerts than this (counted down `alerts_time_source`, which covers `time` and
 * `source`) is read whole through that index and sorted; a larger one is walked newest first by id.
 */
const SPARSE_WINDOW = 2_000;
/** Alerts a time range's id walk reads before it reads the rest of the range through the time index. */
const WALK_BUDGET = 2_000;
/** Links an observable filter reads from the value before it walks alerts checking each instead. */
const LINK_BUDGET = 2_000;
/** Most links read from one observable at a time. */
const LINKS_PER_READ = 1_000;

/**
 * The rows of a page of alerts newest first (by id: UUIDv7, so receipt order), filtered, and of the first
 * alert of the next page: `limit + 1` rows, fewer at the end. Each filter is answered by the index that
 * reads about a page, not by the planner's guess: the id order has no index in common with a time range or
 * an observable's links.
 */
export async function listAlertRows(db: Db, filter: AlertFilter): Promise<AlertRow[]> {
  const want = filter.limit + 1;
  if (filter.observable) return rowsByObservable(db, filter, filter.observable, want);
  if (filter.from !== undefined || filter.to !== undefined) return rowsInTimeRange(db, filter, want);
  return withFilters(db.selectFrom('alerts').selectAll('alerts'), filter)
    .$if(filter.cursor !== undefined, (q) => q.where('alerts.id', '<', filter.cursor ?? ''))
    .orderBy('alerts.id', 'desc')
    .limit(want)
    .execute();
}

/** How a time range is written: on the index, off it (`time + 0`, which no index serves), or not at all. */
type TimeAs = 'indexed' | 'unindexed' | 'none';

/** The filter's conditions but the observable and the cursor. */
function withFilters<O>(q: AlertsQuery<O>, filter: AlertFilter, time: TimeAs = 'indexed'): AlertsQuery<O> {
  const at = time === 'unindexed' ? sql<number>`alerts.time + 0` : sql<number>`alerts.time`;
  if (time !== 'none' && filter.from !== undefined) q = q.where(at, '>=', filter.from);
  if (time !== 'none' && filter.to !== undefined) q = q.where(at, '<', filter.to);
  if (filter.source) q = q.where('alerts.source', '=', filter.source);
  if (filter.severity?.length) q = q.where('alerts.severity', 'in', filter.severity);
  if (filter.caseId) q = q.where('alerts.case_id', '=', filter.caseId);
  return q;
}

/**
 * A time range's first `want` alerts below the cursor. No index serves both the range and the id order:
 * SQLite read the whole range through `alerts_time_source` and sorted it on every page, PostgreSQL walked
 * the primary key from the newest alert, through every alert newer than an old range (316–540 ms a page
 * over 300,000 alerts). The range is counted first, up to SPARSE_WINDOW entries of that covering index: a
 * small one is read whole (see rowsOfRange); a large one is walked by id with the time off the index, for
 * at most WALK_BUDGET alerts, and read whole below them when that walk met too few. Every alert in the range
 * is on one of the two ways: nothing assumes an alert's time is near its id's.
 */
async function rowsInTimeRange(db: Db, filter: AlertFilter, want: number): Promise<AlertRow[]> {
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) return [];
  // In time order, so both planners count down alerts_time_source alone: PostgreSQL read the table from its
  // oldest rows for a range it guessed large, SQLite walked all of a source's alerts.
  const window = db
    .selectFrom('alerts')
    .select(sql<number>`1`.as('one'))
    .$call((q) => withRange(q, filter))
    .$if(Boolean(filter.source), (q) => q.where('alerts.source', '=', filter.source ?? ''))
    .orderBy('alerts.time')
    .limit(SPARSE_WINDOW);
  const { n } = await db
    .selectFrom(window.as('w'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(n) < SPARSE_WINDOW) return rowsOfRange(db, filter, want);
  // The alert WALK_BUDGET below the cursor among those the other filters keep: the walk stops there.
  const stop = await withFilters(db.selectFrom('alerts').select('alerts.id'), filter, 'none')
    .$if(filter.cursor !== undefined, (q) => q.where('alerts.id', '<', filter.cursor ?? ''))
    .orderBy('alerts.id', 'desc')
    .limit(1)
    .offset(WALK_BUDGET - 1)
    .executeTakeFirst();
  const walked = await withFilters(db.selectFrom('alerts').selectAll('alerts'), filter, 'unindexed')
    .$if(filter.cursor !== undefined, (q) => q.where('alerts.id', '<', filter.cursor ?? ''))
    .$if(stop !== undefined, (q) => q.where('alerts.id', '>=', stop?.id ?? ''))
    .orderBy('alerts.id', 'desc')
    .limit(want)
    .execute();
  if (walked.length === want || stop === undefined) return walked;
  return [...walked, ...(await rowsOfRange(db, { ...filter, cursor: stop.id }, want - walked.length))];
}

function withRange<O>(q: AlertsQuery<O>, filter: AlertFilter): AlertsQuery<O> {
  if (filter.from !== undefined) q = q.where('alerts.time', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('alerts.time', '<', filter.to);
  return q;
}

/**
 * A time range's alerts below the cursor, read whole through the time index and sorted (the first `want`
 * kept): the cost of the range, whatever its age. Sorted on `id || ''`, which no index gives, so neither
 * planner walks the primary key for the order instead: PostgreSQL did for an hour of the oldest alerts,
 * through every newer one (105 ms over 300,000 alerts), and SQLite for a range before every alert (93–203 ms).
 */
async function rowsOfRange(db: Db, filter: AlertFilter, want: number): Promise<AlertRow[]> {
  // The source off its index (alerts_time_source holds it): SQLite walked all of a source's alerts instead.
  const { source, ...rest } = filter;
  return withFilters(db.selectFrom('alerts').selectAll('alerts'), rest)
    .$if(Boolean(source), (q) => q.where(sql<string>`alerts.source || ''`, '=', source ?? ''))
    .$if(filter.cursor !== undefined, (q) => q.where('alerts.id', '<', filter.cursor ?? ''))
    .orderBy(sql`alerts.id || ''`, 'desc')
    .limit(want)
    .execute();
}

/**
 * An observable's alerts, read down its links' index `(observable_id, alert_id)` newest first: for each of
 * the value's observables (one a type it is stored as) the next links below the cursor, merged, and the
 * alerts of those every list has passed fetched with the other filters; more links, twice as many, while
 * the filters turn alerts away. About a page, however many alerts the value is on and however old they are:
 * walking alerts newest first checked every alert newer than a busy value's last one (85–290 ms over
 * 200,000 alerts for one busy weeks ago). Past LINK_BUDGET links without a page (the other filters keep few
 * of the value's alerts), alerts are walked newest first instead, by the other filters' indexes, each
 * checked for a link.
 */
async function rowsByObservable(
  db: Db,
  filter: AlertFilter,
  observable: string,
  want: number,
): Promise<AlertRow[]> {
  const observableIds = (
    await db
      .selectFrom('observables')
      .select('observables.id')
      .where('observables.value', 'in', storedObservableValues(observable))
      .execute()
  ).map((r) => r.id);
  if (observableIds.length === 0) return [];
  const out: AlertRow[] = [];
  let cursor = filter.cursor;
  let size = want;
  for (let read = 0; read < LINK_BUDGET; size = Math.min(2 * size, LINKS_PER_READ)) {
    const lists = await Promise.all(
      observableIds.map((id) =>
        db
          .selectFrom('alert_observables')
          .select('alert_observables.alert_id')
          .where('alert_observables.observable_id', '=', id)
          .$if(cursor !== undefined, (q) => q.where('alert_observables.alert_id', '<', cursor ?? ''))
          .orderBy('alert_observables.alert_id', 'desc')
          .limit(size)
          .execute(),
      ),
    );
    read += lists.reduce((sum, l) => sum + l.length, 0);
    // A list cut short has given every link down to its last one; below the highest such, only some have.
    // Ids compare here as in the stores: UUIDs, as their code units (SQLite's BINARY; PostgreSQL's
    // collations order them by their hex digits, the dashes being in the same places).
    const cut = lists.filter((l) => l.length === size).map((l) => l[l.length - 1]?.alert_id ?? '');
    const floor = cut.length ? cut.reduce((a, b) => (a > b ? a : b)) : undefined;
    const candidates = [...new Set(lists.flatMap((l) => l.map((r) => r.alert_id)))];
    for (const part of chunks(candidates, 1_000)) {
      const rows = await withFilters(db.selectFrom('alerts').selectAll('alerts'), filter)
        .where('alerts.id', 'in', part)
        .$if(floor !== undefined, (q) => q.where('alerts.id', '>=', floor ?? ''))
        .execute();
      out.push(...rows);
    }
    out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    if (out.length >= want || floor === undefined) return out.slice(0, want);
    cursor = floor;
  }
  const rest = await withFilters(db.selectFrom('alerts').selectAll('alerts'), filter)
    // The EXISTS carries an OFFSET so PostgreSQL keeps it a check on each alert walked newest first: without
    // one it turns it into a join sized by a guess (the average observable's links) and sorts what it finds.
    // PostgreSQL never flattens a subquery with an OFFSET, even 0; LIMIT 1 changes nothing for an EXISTS.
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('alert_observables')
          .select('alert_observables.alert_id')
          .whereRef('alert_observables.alert_id', '=', 'alerts.id')
          .where('alert_observables.observable_id', 'in', observableIds)
          .limit(1)
          .offset(0),
      ),
    )
    .$if(cursor !== undefined, (q) => q.where('alerts.id', '<', cursor ?? ''))
    .orderBy('alerts.id', 'desc')
    .limit(want - out.length)
    .execute();
  return [...out, ...rest];
}
