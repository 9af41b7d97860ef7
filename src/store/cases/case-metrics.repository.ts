import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { CaseStatus } from '../../domain/cases/case.js';
import type { ResponseTotals } from '../../domain/cases/response-metrics.js';
import { DAY_MS, dayOf } from '../alerts/alert-daily-counts.repository.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const OPEN_STATUSES = Object.values(CaseStatus).filter((s) => s !== 'closed');

/** How response totals are grouped: by a case field, or by the UTC day or ISO week (Monday) it was created. */
export type MilestoneGrouping = 'none' | 'severity' | 'assignee' | 'day' | 'week';

const DAY = sql.lit(DAY_MS);
const WEEK = sql.lit(7 * DAY_MS);
// 1970-01-01 was a Thursday: Mondays fall 4 days after multiples of a week.
const MONDAY_OFFSET = sql.lit(4 * DAY_MS);

const groupKey = (grouping: MilestoneGrouping): RawBuilder<string | number> => {
  switch (grouping) {
    case 'severity':
      return sql`m.severity`;
    case 'assignee':
      return sql`coalesce(m.assignee, '(unassigned)')`;
    case 'day':
      return sql`m.created_at - (m.created_at % ${DAY})`;
    case 'week':
      return sql`m.created_at - ((m.created_at - ${MONDAY_OFFSET}) % ${WEEK})`;
    case 'none':
      return sql`'all'`;
  }
};

/**
 * MTTA/MTTC/MTTR totals of the cases created in [from, to), per group, added up by the database from the
 * milestone projection (one range scan of an index that holds every column read). Day and
 * week keys come back as epoch ms of their first day. Cases merged into another are not incidents of their
 * own: the merge closed them (as duplicates) the moment an analyst saw they belonged elsewhere, which is no
 * acknowledgement nor resolution. They are left out of the totals and counted apart, as `merged`.
 */
export async function loadResponseTotals(
  db: Db,
  range: { from: number; to: number },
  grouping: MilestoneGrouping,
): Promise<Array<{ key: string | number; totals: ResponseTotals; merged: number }>> {
  const key = groupKey(grouping);
  // A merge always closes the merged case as a duplicate (and a merged case cannot be reopened), so only
  // those rows look the case up, by its primary key; every other row stays within the index.
  const merged = sql<number>`case when m.resolution = 'duplicate' and exists (
      select 1 from cases c where c.id = m.case_id and c.merged_into is not null) then 1 else 0 end`;
  const inner = db
    .selectFrom('case_milestones as m')
    .select([
      key.as('k'),
      merged.as('merged'),
      'm.acknowledged_at',
      'm.contained_at',
      'm.resolved_at',
      'm.resolution',
      'm.created_at',
    ])
    .where('m.created_at', '>=', range.from)
    .where('m.created_at', '<', range.to);
  // Only cases not merged away count; `own(x)` is x for them and null for the others.
  const own = (column: string) => sql`case when t.merged = 0 then ${sql.ref(`t.${column}`)} end`;
  let q = db.selectFrom(inner.as('t')).select([
    // Ungrouped, the constant key is not read through the subquery: PostgreSQL would want it grouped.
    (grouping === 'none' ? sql<string>`'all'` : sql<string | number>`t.k`).as('k'),
    sql<number>`count(case when t.merged = 0 then 1 end)`.as('cases'),
    sql<number>`coalesce(sum(t.merged), 0)`.as('merged'),
    sql<number>`count(${own('acknowledged_at')})`.as('acknowledged'),
    sql<number>`coalesce(sum(${own('acknowledged_at')} - t.created_at), 0)`.as('acknowledge_ms'),
    sql<number>`count(${own('contained_at')})`.as('contained'),
    sql<number>`coalesce(sum(${own('contained_at')} - t.created_at), 0)`.as('contain_ms'),
    sql<number>`count(${own('resolved_at')})`.as('closed'),
    sql<number>`coalesce(sum(${own('resolved_at')} - t.created_at), 0)`.as('resolve_ms'),
    sql<number>`count(case when t.merged = 0 and t.resolved_at is not null and t.resolution = 'false_positive' then 1 end)`.as(
      'false_positives',
    ),
  ]);
  // A constant key (no grouping) is one group; PostgreSQL refuses a constant in GROUP BY.
  if (grouping !== 'none') q = q.groupBy('t.k');
  // Without grouping an empty range still yields one row, of zeros; a group exists only with cases in it
  // (merged ones too: a group of merged cases only shows how many, with nothing to average).
  const rows = (await q.execute()).filter((r) => Number(r.cases) + Number(r.merged) > 0);
  return rows.map((r) => ({
    key: grouping === 'day' || grouping === 'week' ? Number(r.k) : String(r.k),
    totals: {
      cases: Number(r.cases),
      acknowledged: Number(r.acknowledged),
      acknowledgeMs: Number(r.acknowledge_ms),
      contained: Number(r.contained),
      containMs: Number(r.contain_ms),
      closed: Number(r.closed),
      resolveMs: Number(r.resolve_ms),
      falsePositives: Number(r.false_positives),
    },
    merged: Number(r.merged),
  }));
}

/** Open cases (not closed) with severity and creation time, for counts by severity and age. */
export async function countOpenCases(
  db: Db,
  now: number,
): Promise<Array<{ severity: string; ageBucket: string; count: number }>> {
  const rows = await db
    .selectFrom('cases')
    .select((eb) => [
      'severity',
      eb
        .case()
        .when('created_at', '>', now - 3_600_000)
        .then('lt_1h')
        .when('created_at', '>', now - 86_400_000)
        .then('lt_1d')
        .when('created_at', '>', now - 7 * 86_400_000)
        .then('lt_7d')
        .else('gte_7d')
        .end()
        .as('age_bucket'),
      eb.fn.countAll<number>().as('n'),
    ])
    // The open statuses by name, so the (status, severity, created_at) index answers it alone.
    .where('status', 'in', OPEN_STATUSES)
    .groupBy(['severity', 'age_bucket'])
    .execute();
  return rows.map((r) => ({ severity: r.severity, ageBucket: String(r.age_bucket), count: Number(r.n) }));
}

/**
 * Splits [from, to) into whole UTC days (read from the daily counts) and the partial days at either end (read
 * from the alerts themselves, by time), so counts are exact for any range yet a year costs a year of days.
 */
export function splitIntoDays(range: { from: number; to: number }): {
  days: { from: number; to: number } | null;
  edges: Array<{ from: number; to: number }>;
} {
  const firstWhole = dayOf(range.from) === range.from ? range.from : dayOf(range.from) + DAY_MS;
  const lastWhole = dayOf(range.to);
  if (firstWhole >= lastWhole) return { days: null, edges: range.from < range.to ? [range] : [] };
  const edges = [
    { from: range.from, to: firstWhole },
    { from: lastWhole, to: range.to },
  ].filter((e) => e.from < e.to);
  return { days: { from: firstWhole, to: lastWhole }, edges };
}

/** Alerts received (by their time) per source in [from, to). */
export async function countAlertsPerSource(
  db: Db,
  range: { from: number; to: number },
): Promise<Array<{ source: string; count: number }>> {
  const { days, edges } = splitIntoDays(range);
  const counts = new Map<string, number>();
  const add = (rows: Array<{ source: string; n: number | string | bigint | null }>) => {
    for (const r of rows) counts.set(r.source, (counts.get(r.source) ?? 0) + Number(r.n));
  };
  if (days) {
    add(
      await db
        .selectFrom('alert_source_days')
        .select(['source', (eb) => eb.fn.sum<number>('alerts').as('n')])
        .where('day', '>=', days.from)
        .where('day', '<', days.to)
        .groupBy('source')
        .execute(),
    );
  }
  for (const edge of edges) {
    add(
      await db
        .selectFrom('alerts')
        .select(['source', (eb) => eb.fn.countAll<number>().as('n')])
        .where('time', '>=', edge.from)
        .where('time', '<', edge.to)
        .groupBy('source')
        .execute(),
    );
  }
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([source, count]) => ({ source, count }));
}

/**
 * For each detection rule, how many of the closed cases its alerts (in [from, to)) ended in were false
 * positives: the noise of a rule. Reads the per-rule daily counts and the milestone projection; only the
 * partial days at the range's ends touch the alerts.
 */
export async function falsePositivesPerRule(
  db: Db,
  range: { from: number; to: number },
): Promise<
  Array<{
    product: string | null;
    ruleId: string | null;
    ruleName: string | null;
    closed: number;
    falsePositives: number;
  }>
> {
  const { days, edges } = splitIntoDays(range);
  const parts: RawBuilder<unknown>[] = [];
  if (days) {
    parts.push(sql`select case_id, product, rule_id, rule_name from alert_case_rule_days
      where day >= ${days.from} and day < ${days.to}`);
  }
  for (const edge of edges) {
    parts.push(sql`select case_id, coalesce(product, '') as product, coalesce(rule_id, '') as rule_id, rule_name
      from alerts where time >= ${edge.from} and time < ${edge.to} and case_id is not null`);
  }
  if (parts.length === 0) return [];
  const hits = sql.join(parts, sql` union all `);
  const { rows } = await sql<{
    product: string;
    rule_id: string;
    rule_name: string | null;
    closed: number | string;
    fp: number | string;
  }>`select h.product, h.rule_id, max(h.rule_name) as rule_name,
      count(distinct h.case_id) as closed,
      count(distinct case when m.resolution = 'false_positive' then h.case_id end) as fp
    from (${hits}) h
    join case_milestones m on m.case_id = h.case_id and m.resolved_at is not null
    group by h.product, h.rule_id
    order by h.product, h.rule_id`.execute(db);
  return rows.map((r) => ({
    product: r.product === '' ? null : r.product,
    ruleId: r.rule_id === '' ? null : r.rule_id,
    ruleName: r.rule_name,
    closed: Number(r.closed),
    falsePositives: Number(r.fp),
  }));
}
