import { sql, type Kysely, type Transaction } from 'kysely';
import type { Alert, Correlation, NormalizedAlert } from '../../domain/alerts/alert.js';
import type { Severity } from '../../domain/shared/severity.js';
import { chunks } from '../chunks.js';
import { listAlertRows, type AlertFilter } from './alert-list.repository.js';
import type { Database } from '../schema.js';
import { insertRows } from '../insert-rows.js';
import { latestPerKey, type IndexWalk } from '../latest-per-key.js';
import { preparedRowsQuery } from '../prepared-query.js';
import type { AlertRow, AlertTable } from './alert.table.js';

export type { AlertFilter } from './alert-list.repository.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * What `alerts.normalized` holds: the normalised fields without a column of their own. Rows stored before
 * this held the whole normalised alert (without `raw`); the columns hold the same values, and are read.
 */
type NormalizedRest = Pick<NormalizedAlert, 'classUid' | 'description' | 'techniques' | 'observables'>;

/** The grouping decision as stored in `alerts.correlation` (JSON), or null for none. */
export const correlationOf = (stored: string | null): Correlation | null =>
  stored ? (JSON.parse(stored) as Correlation) : null;

export const alertRowToAlert = (row: AlertRow): Alert => {
  const rest = JSON.parse(row.normalized) as Partial<NormalizedRest>;
  return {
    classUid: rest.classUid ?? 2004,
    time: Number(row.time),
    title: row.title,
    description: rest.description ?? null,
    severity: row.severity as Severity,
    severityOriginal: row.severity_original,
    category: row.category,
    origin: { product: row.product, vendor: row.vendor, ruleId: row.rule_id, ruleName: row.rule_name },
    sourceEventId: row.source_event_id,
    techniques: rest.techniques ?? [],
    observables: rest.observables ?? [],
    raw: JSON.parse(row.raw) as unknown,
    id: row.id,
    source: row.source,
    fingerprint: row.fingerprint,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    count: row.count,
    caseId: row.case_id,
    correlation: correlationOf(row.correlation),
    receivedFrom: row.received_from ?? null,
    createdAt: Number(row.created_at),
  };
};

export interface NewAlertRow {
  id: string;
  source: string;
  mapper: string;
  fingerprint: string;
  alert: NormalizedAlert;
  /** `alert.raw` as the JSON text it was received in, when it was: stored as is. */
  rawText?: string | undefined;
  caseId: string | null;
  correlation: Correlation | null;
  now: number;
  /** Sightings of the alert it is stored with: more than 1 when repeats came in its own batch (default 1). */
  count?: number;
  /** The network address it was delivered from (see `AlertTable.received_from`). */
  receivedFrom?: string | undefined;
}

/** Stores a new alert; `raw` is written exactly as received, beside the normalised fields. */
export async function insertAlert(db: Db, input: NewAlertRow): Promise<void> {
  await insertAlerts(db, [input]);
}

/** Stores new alerts, many rows to a statement. */
export async function insertAlerts(db: Db, inputs: readonly NewAlertRow[]): Promise<void> {
  // `received_from` only when an alert has one (files have none; it stays null): a statement a parameter
  // per alert lighter then, and one that also stores into a schema from before the column (migration tests).
  const columns = inputs.some((r) => r.receivedFrom !== undefined) ? ALERT_COLUMNS : ALERT_COLUMNS_UNRECEIVED;
  await insertRows(db, 'alerts', columns, inputs.map(alertValues));
}

const ALERT_COLUMNS = [
  'id',
  'source',
  'source_event_id',
  'fingerprint',
  'title',
  'severity',
  'severity_original',
  'category',
  'product',
  'vendor',
  'rule_id',
  'rule_name',
  'mapper',
  'time',
  'first_seen',
  'last_seen',
  'count',
  'case_id',
  'correlation',
  'normalized',
  'raw',
  'received_from',
  'created_at',
] as const satisfies ReadonlyArray<keyof AlertTable>;

const ALERT_COLUMNS_UNRECEIVED = ALERT_COLUMNS.filter((c) => c !== 'received_from');

function alertValues(input: NewAlertRow): AlertTable {
  const { raw } = input.alert;
  // Only what has no column: the row is a quarter smaller, and fewer pages are written per alert.
  const rest: NormalizedRest = {
    classUid: input.alert.classUid,
    description: input.alert.description,
    techniques: input.alert.techniques,
    observables: input.alert.observables,
  };
  return {
    id: input.id,
    source: input.source,
    source_event_id: input.alert.sourceEventId,
    fingerprint: input.fingerprint,
    title: input.alert.title,
    severity: input.alert.severity,
    severity_original: input.alert.severityOriginal,
    category: input.alert.category,
    product: input.alert.origin.product,
    vendor: input.alert.origin.vendor,
    rule_id: input.alert.origin.ruleId,
    rule_name: input.alert.origin.ruleName,
    mapper: input.mapper,
    time: input.alert.time,
    first_seen: input.now,
    last_seen: input.now,
    count: input.count ?? 1,
    case_id: input.caseId,
    correlation: input.correlation ? JSON.stringify(input.correlation) : null,
    normalized: JSON.stringify(rest),
    raw: input.rawText ?? JSON.stringify(raw ?? null),
    received_from: input.receivedFrom ?? null,
    created_at: input.now,
  };
}

// Run in every ingest transaction, with a list as long as the batch's event ids: compiled once per length.
// One statement for both places an event id is kept: on SQLite a statement fewer per batch than two lookups.
const bySourceEventIdsQuery = preparedRowsQuery<
  { eventId: string },
  { source: string },
  { id: string; case_id: string | null; source_event_id: string | null; repeat: number }
>(['eventId'], (db, rows, slot) =>
  db
    .selectFrom('alerts')
    .select(['id', 'case_id', 'source_event_id', sql<number>`0`.as('repeat')])
    .where('source', '=', slot('source'))
    .where(
      'source_event_id',
      'in',
      rows.map((r) => r.eventId),
    )
    .unionAll(
      db
        .selectFrom('alert_event_ids as e')
        .innerJoin('alerts as a', 'a.id', 'e.alert_id')
        .select(['a.id', 'a.case_id', 'e.source_event_id', sql<number>`1`.as('repeat')])
        .where('e.source', '=', slot('source'))
        .where(
          'e.source_event_id',
          'in',
          rows.map((r) => r.eventId),
        ),
    ),
);

/**
 * Alerts a source already sent under these event ids, by event id: the alert an event was stored as, or the
 * one it was counted on as a fingerprint repeat (`recordRepeatEventIds`), with the case each is in now.
 */
export async function findAlertsBySourceEventIds(
  db: Db,
  source: string,
  eventIds: readonly string[],
): Promise<Map<string, { id: string; caseId: string | null }>> {
  const out = new Map<string, { id: string; caseId: string | null }>();
  for (const chunk of chunks([...new Set(eventIds)], 500)) {
    const { rows } = await bySourceEventIdsQuery(
      db,
      chunk.map((eventId) => ({ eventId })),
      { source },
    );
    for (const r of rows) {
      if (!r.source_event_id) continue;
      // Both only when two first deliveries raced, one stored and one counted: the stored alert answers.
      if (Number(r.repeat) === 1 && out.has(r.source_event_id)) continue;
      out.set(r.source_event_id, { id: r.id, caseId: r.case_id });
    }
  }
  return out;
}

/**
 * How long a repeat's event id is remembered. Senders retry within minutes of a lost acknowledgement; a
 * week covers a sender that queued through an outage, and bounds a table that gains a row per repeat.
 */
const REPEAT_EVENT_ID_MEMORY_MS = 7 * 86_400_000;

/**
 * Records which alert each fingerprint repeat that carried a source event id was counted on, so a retry of
 * it is known (`findAlertsBySourceEventIds`). No conflict clause: a concurrent first delivery of the same
 * event must fail on the key and run again (ingest's `retryOnConflict`), or the event would be counted twice.
 * Each call also removes up to twice as many rows past `REPEAT_EVENT_ID_MEMORY_MS`, oldest first, so the
 * table stays a week deep with no sweeper; the rows removed are never the ones written here.
 */
export async function recordRepeatEventIds(
  db: Db,
  source: string,
  repeats: ReadonlyArray<{ eventId: string; alertId: string }>,
  now: number,
): Promise<void> {
  if (repeats.length === 0) return;
  await insertRows(
    db,
    'alert_event_ids',
    ['source', 'source_event_id', 'alert_id', 'at'],
    repeats.map((r) => ({ source, source_event_id: r.eventId, alert_id: r.alertId, at: now })),
  );
  await sql`delete from alert_event_ids where (source, source_event_id) in (
      select source, source_event_id from alert_event_ids
      where at < ${now - REPEAT_EVENT_ID_MEMORY_MS} order by at limit ${2 * repeats.length})`.execute(db);
}

/**
 * What `alerts_fingerprint_prefix` indexes (migration 0016_a): a fingerprint's first 16 hex characters. A
 * lookup must use this very expression for either planner to take the index.
 */
const FINGERPRINT_PREFIX = sql<string>`substr(fingerprint, 1, 16)`;

// Run in every ingest transaction, with a list as long as the batch's fingerprints: compiled once per length.
const byFingerprintPrefixesQuery = preparedRowsQuery<
  { prefix: string },
  { since: number },
  { id: string; case_id: string | null; fingerprint: string; last_seen: number }
>(['prefix'], (db, rows, slot) =>
  db
    .selectFrom('alerts')
    .select(['id', 'case_id', 'fingerprint', 'last_seen'])
    .where(
      FINGERPRINT_PREFIX,
      'in',
      rows.map((r) => r.prefix),
    )
    .where('last_seen', '>=', slot('since')),
);

/** The latest alert of each fingerprint seen since `since`. */
export async function findRecentByFingerprints(
  db: Db,
  fingerprints: readonly string[],
  since: number,
): Promise<Map<string, { id: string; caseId: string | null }>> {
  const out = new Map<string, { id: string; caseId: string | null; lastSeen: number }>();
  const wanted = new Set(fingerprints);
  for (const chunk of chunks([...wanted], 500)) {
    const prefixes = [...new Set(chunk.map((fp) => fp.slice(0, 16)))];
    const { rows } = await byFingerprintPrefixesQuery(
      db,
      prefixes.map((prefix) => ({ prefix })),
      { since },
    );
    for (const r of rows) {
      // The index holds a prefix: another fingerprint may share it.
      if (!wanted.has(r.fingerprint)) continue;
      const seen = out.get(r.fingerprint);
      if (!seen || Number(r.last_seen) > seen.lastSeen) {
        out.set(r.fingerprint, { id: r.id, caseId: r.case_id, lastSeen: Number(r.last_seen) });
      }
    }
  }
  return out;
}

/**
 * Counts repeats of stored alerts (alert id → how many more times it was seen). A repeat is a sighting of
 * the alert's observables too: their links to its case are seen now, as observable correlation reads them.
 * A few statements per batch: the alerts raised by the same count share one update, and the case links are
 * found from the repeated alerts' own links (primary keys all the way), not by testing every link of their cases.
 */
export async function recordRepeats(
  db: Db,
  repeats: ReadonlyMap<string, number>,
  now: number,
): Promise<void> {
  const byCount = new Map<number, string[]>();
  for (const [id, n] of repeats) {
    const ids = byCount.get(n);
    if (ids) ids.push(id);
    else byCount.set(n, [id]);
  }
  // Sorted, so concurrent writers on PostgreSQL lock alert rows in one order.
  for (const [n, ids] of [...byCount].sort(([a], [b]) => a - b)) {
    for (const chunk of chunks(ids.sort(), 500)) {
      await db
        .updateTable('alerts')
        .set((eb) => ({ count: eb('count', '+', n), last_seen: now }))
        .where('id', 'in', chunk)
        .execute();
    }
  }
  // The ids filter both tables so each planner can start from either one's key (PostgreSQL joined every link
  // of the table when only `alerts` was filtered), and each case link is then found by its key.
  for (const chunk of chunks([...repeats.keys()].sort(), 500)) {
    await sql`update case_observables set last_seen = ${now}
      from (select distinct a.case_id, ao.observable_id
            from alert_observables ao inner join alerts a on a.id = ao.alert_id
            where ao.alert_id in (${sql.join(chunk)}) and a.id in (${sql.join(chunk)}) and a.case_id is not null) s
      where case_observables.case_id = s.case_id and case_observables.observable_id = s.observable_id
        and (case_observables.last_seen is null or case_observables.last_seen < ${now})`.execute(db);
  }
}

/** A rule's walk of `(product, rule_id, last_seen)`, newest first, to the first alert of an open case. */
const ruleWalk =
  (withProduct: boolean): IndexWalk =>
  (key, slot) =>
    sql`select a.case_id || '|' || a.last_seen from alerts a
      where ${withProduct ? sql`a.product = ${key(1)} and a.rule_id = ${key(2)}` : sql`a.product is null and a.rule_id = ${key(1)}`}
        and a.last_seen >= ${slot('since')}
        and (select c.status != 'closed' and c.merged_into is null from cases c where c.id = a.case_id)
      order by a.last_seen desc limit 1`;
const RULE_WALK = ruleWalk(true);
const RULE_WALK_WITHOUT_PRODUCT = ruleWalk(false);

/**
 * For each rule (product and rule id): the open case holding its most recently seen alert since `since`, and
 * when that was. Each rule is one descending walk of the `(product, rule_id, last_seen)` index that stops at
 * the first alert whose case is open, so the cost stays flat however many alerts a busy rule has; the
 * walks of a batch go in a few statements.
 */
export async function findOpenCasesByRules(
  db: Db,
  rules: ReadonlyArray<{ product: string | null; ruleId: string }>,
  since: number,
): Promise<Array<{ product: string | null; ruleId: string; caseId: string; lastSeen: number }>> {
  const out: Array<{ product: string | null; ruleId: string; caseId: string; lastSeen: number }> = [];
  const unique = [...new Map(rules.map((r) => [`${r.product ?? ''}\u0000${r.ruleId}`, r])).values()];
  // Rules without a product walk `product is null`, the others `product = …`: both stay on the index.
  for (const withProduct of [true, false]) {
    const list = unique.filter((r) => (r.product !== null) === withProduct);
    for (const chunk of chunks(list, 500)) {
      const rows = await latestPerKey(
        db,
        chunk.map((r) => (withProduct ? [r.product ?? '', r.ruleId] : [r.ruleId])),
        withProduct ? RULE_WALK : RULE_WALK_WITHOUT_PRODUCT,
        { since },
      );
      rows.forEach((hit, i) => {
        const r = chunk[i];
        if (hit && r) out.push({ product: r.product, ruleId: r.ruleId, ...hit });
      });
    }
  }
  return out;
}

/** Links one alert to its observables (ones already linked are left as they are). */
export async function linkAlertObservables(
  db: Db,
  alertId: string,
  links: ReadonlyArray<{ observableId: string; role: string }>,
): Promise<void> {
  await insertAlertObservables(
    db,
    links.map((l) => ({ alertId, observableId: l.observableId, role: l.role })),
  );
}

/** Links alerts to their observables, many rows to a statement. */
export async function insertAlertObservables(
  db: Db,
  links: ReadonlyArray<{ alertId: string; observableId: string; role: string }>,
): Promise<void> {
  const unique = new Map(links.map((l) => [`${l.alertId}|${l.observableId}|${l.role}`, l]));
  await insertRows(
    db,
    'alert_observables',
    ['alert_id', 'observable_id', 'role'],
    [...unique.values()].map((l) => ({ alert_id: l.alertId, observable_id: l.observableId, role: l.role })),
    { tail: 'on conflict ("alert_id", "observable_id", "role") do nothing' },
  );
}

/** Each alert's fingerprint and recorded grouping decision, by id (unknown ids left out). */
export async function findAlertDecisions(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, { fingerprint: string; correlation: Correlation | null }>> {
  const found = new Map<string, { fingerprint: string; correlation: Correlation | null }>();
  for (const part of chunks(ids, 500)) {
    const rows = await db
      .selectFrom('alerts')
      .select(['id', 'fingerprint', 'correlation'])
      .where('id', 'in', part)
      .execute();
    for (const r of rows)
      found.set(r.id, { fingerprint: r.fingerprint, correlation: correlationOf(r.correlation) });
  }
  return found;
}

export async function findAlertById(db: Db, id: string): Promise<Alert | undefined> {
  return (await findAlertWithRawText(db, id))?.alert;
}

/**
 * An alert and its raw event's stored text: the event as the source sent it (as JSON text), where `alert.raw`
 * is that text parsed, which rounds integers past 2^53 (Suricata's 64-bit flow ids) and rewrites numbers.
 */
export async function findAlertWithRawText(
  db: Db,
  id: string,
): Promise<{ alert: Alert; rawText: string } | undefined> {
  const row = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { alert: alertRowToAlert(row), rawText: row.raw } : undefined;
}

/** Whether any alert is stored. */
export async function hasAnyAlert(db: Db): Promise<boolean> {
  return (await db.selectFrom('alerts').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** Puts one alert in a case. */
export async function setAlertCase(db: Db, alertId: string, caseId: string): Promise<void> {
  await db.updateTable('alerts').set({ case_id: caseId }).where('id', '=', alertId).execute();
}

/** Moves every alert of one case to another. Returns how many moved. */
export async function moveCaseAlerts(db: Db, fromCaseId: string, toCaseId: string): Promise<number> {
  const result = await db
    .updateTable('alerts')
    .set({ case_id: toCaseId })
    .where('case_id', '=', fromCaseId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The ids of the observables an alert carries (one per role it plays). */
export async function listAlertObservableIds(db: Db, alertId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('alert_observables')
    .select('observable_id')
    .where('alert_id', '=', alertId)
    .execute();
  return rows.map((r) => r.observable_id);
}

/** Alerts newest first, filtered; returns one page and the cursor of the next (null at the end). */
export async function listAlerts(
  db: Db,
  filter: AlertFilter,
): Promise<{ alerts: Alert[]; nextCursor: string | null }> {
  const rows = await listAlertRows(db, filter);
  const page = rows.slice(0, filter.limit);
  return {
    alerts: page.map(alertRowToAlert),
    nextCursor: rows.length > filter.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}
