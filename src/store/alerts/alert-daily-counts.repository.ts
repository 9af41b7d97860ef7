import { sql, type Kysely, type Transaction } from 'kysely';
import type { AlertCaseRuleDayTable, AlertSourceDayTable } from '../cases/case-projection.table.js';
import { insertRows } from '../insert-rows.js';
import type { Database } from '../schema.js';
import type { NewAlertRow } from './alert.repository.js';

type Db = Kysely<Database> | Transaction<Database>;

export const DAY_MS = 86_400_000;

/** UTC midnight of the day `ms` falls in. */
export const dayOf = (ms: number): number => ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);

/**
 * Adds a batch of newly stored alerts to the per-day counts, in the transaction that stores them: a few
 * upserts per batch, keys sorted so concurrent writers on PostgreSQL lock rows in one order.
 */
export async function countStoredAlerts(db: Db, rows: readonly NewAlertRow[]): Promise<void> {
  if (rows.length === 0) return;
  const perSource = new Map<string, AlertSourceDayTable>();
  const perRule = new Map<string, AlertCaseRuleDayTable>();
  for (const row of rows) {
    const { time, origin } = row.alert;
    const day = dayOf(time);
    const sk = `${day}\u0000${row.source}`;
    const s = perSource.get(sk);
    if (s) s.alerts += 1;
    else perSource.set(sk, { day, source: row.source, alerts: 1 });
    if (!row.caseId) continue;
    const product = origin.product ?? '';
    const ruleId = origin.ruleId ?? '';
    const ruleName = origin.ruleName;
    const rk = `${day}\u0000${row.caseId}\u0000${product}\u0000${ruleId}`;
    const r = perRule.get(rk);
    if (r) {
      r.alerts += 1;
      if (ruleName !== null && (r.rule_name === null || ruleName > r.rule_name)) r.rule_name = ruleName;
    } else {
      perRule.set(rk, { day, case_id: row.caseId, product, rule_id: ruleId, rule_name: ruleName, alerts: 1 });
    }
  }
  const sorted = <T>(m: Map<string, T>): T[] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  // Written as text (insertRows): a batch of a thousand alerts builds no query node per value.
  await insertRows(db, 'alert_source_days', ['day', 'source', 'alerts'], sorted(perSource), {
    tail: `on conflict ("day", "source") do update set "alerts" = "alert_source_days"."alerts" + excluded."alerts"`,
  });
  await insertRows(
    db,
    'alert_case_rule_days',
    ['day', 'case_id', 'product', 'rule_id', 'rule_name', 'alerts'],
    sorted(perRule),
    {
      // The greatest name, as max() over the alerts gives; written portably (SQLite has no greatest()).
      tail: `on conflict ("day", "case_id", "product", "rule_id") do update set
        "alerts" = "alert_case_rule_days"."alerts" + excluded."alerts",
        "rule_name" = case when "alert_case_rule_days"."rule_name" is null
          or excluded."rule_name" > "alert_case_rule_days"."rule_name"
          then excluded."rule_name" else "alert_case_rule_days"."rule_name" end`,
    },
  );
}

const DAY_SQL = sql.lit(DAY_MS);

/**
 * Recounts the per-rule rows of some cases from their alerts: after alerts move between cases (a merge, a
 * moved alert), the cases they left and joined. Same transaction as the move.
 */
export async function recountCaseRuleDays(db: Db, caseIds: readonly string[]): Promise<void> {
  const ids = [...new Set(caseIds)].sort();
  if (ids.length === 0) return;
  await db.deleteFrom('alert_case_rule_days').where('case_id', 'in', ids).execute();
  await db
    .insertInto('alert_case_rule_days')
    .columns(['day', 'case_id', 'product', 'rule_id', 'rule_name', 'alerts'])
    .expression(ruleDaysFromAlerts(db).where('case_id', 'in', ids))
    .execute();
}

const ruleDaysFromAlerts = (db: Db) =>
  db
    .selectFrom('alerts')
    .select((eb) => [
      sql<number>`time - (time % ${DAY_SQL})`.as('day'),
      sql<string>`case_id`.as('case_id'),
      sql<string>`coalesce(product, '')`.as('product'),
      sql<string>`coalesce(rule_id, '')`.as('rule_id'),
      eb.fn.max('rule_name').as('rule_name'),
      eb.fn.countAll<number>().as('alerts'),
    ])
    .where('case_id', 'is not', null)
    .groupBy([
      sql`time - (time % ${DAY_SQL})`,
      'case_id',
      sql`coalesce(product, '')`,
      sql`coalesce(rule_id, '')`,
    ]);

/**
 * Recomputes both daily-count tables from the alerts themselves: their definition, used by the migration
 * that introduced them, after bulk loads and by the test that holds the incremental counts to it.
 */
export async function rebuildAlertDailyCounts(db: Db): Promise<void> {
  await db.deleteFrom('alert_source_days').execute();
  await db.deleteFrom('alert_case_rule_days').execute();
  await db
    .insertInto('alert_source_days')
    .columns(['day', 'source', 'alerts'])
    .expression(
      db
        .selectFrom('alerts')
        .select((eb) => [
          sql<number>`time - (time % ${DAY_SQL})`.as('day'),
          'source',
          eb.fn.countAll<number>().as('alerts'),
        ])
        .groupBy([sql`time - (time % ${DAY_SQL})`, 'source']),
    )
    .execute();
  await db
    .insertInto('alert_case_rule_days')
    .columns(['day', 'case_id', 'product', 'rule_id', 'rule_name', 'alerts'])
    .expression(ruleDaysFromAlerts(db))
    .execute();
}
