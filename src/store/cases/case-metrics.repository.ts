import { sql, type Kysely, type Transaction } from 'kysely';
import type { CaseStatus } from '../../domain/cases/case.js';
import type { CaseResolution } from '../../domain/cases/case-lifecycle.js';
import type { CaseMilestones } from '../../domain/cases/case-milestones.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface CaseMilestoneRecord extends CaseMilestones {
  caseId: string;
  severity: string;
  assignee: string | null;
}

/**
 * Milestones of the cases created in [from, to), aggregated by the database from the event log (creation and
 * status events only) so a year of cases is one grouped query, not hundreds of thousands of rows to the app.
 * Status events are matched on their JSON text, which this code writes (`{"from":…,"to":…}`).
 */
export async function loadMilestones(
  db: Db,
  range: { from: number; to: number },
): Promise<CaseMilestoneRecord[]> {
  const to = (status: string) => `%"to":"${status}"%`;
  const created = sql<number | null>`min(case when e.type = 'case_created' then e.at end)`;
  // One pass over the lifecycle events since `from` (a covering partial index serves it), grouped per case;
  // cases created before `from` have no creation event in that range and drop out in HAVING.
  const perCase = db
    .selectFrom('case_events as e')
    .select([
      'e.case_id',
      created.as('created_at'),
      sql<number | null>`min(case when e.type = 'status_changed' then e.at end)`.as('acknowledged_at'),
      sql<
        number | null
      >`min(case when e.type = 'status_changed' and e.data like ${to('containment')} then e.at end)`.as(
        'contained_at',
      ),
      sql<
        number | null
      >`max(case when e.type = 'status_changed' and e.data like ${to('closed')} then e.at end)`.as(
        'closed_at',
      ),
      sql<
        number | null
      >`max(case when e.type = 'status_changed' and e.data like ${'%"resolution":"false_positive"%'} then e.at end)`.as(
        'false_positive_at',
      ),
      sql<number | null>`max(case when e.type = 'status_changed' then e.at end)`.as('last_change_at'),
    ])
    // Literals, not parameters: SQLite uses a partial index only when it can see the query implies its WHERE.
    .where(sql<boolean>`e.type in ('case_created', 'status_changed')`)
    .where('e.at', '>=', range.from)
    .groupBy('e.case_id')
    .having(created, '>=', range.from)
    .having(created, '<', range.to)
    .as('m');
  const rows = await db
    .selectFrom(perCase)
    .innerJoin('cases as c', 'c.id', 'm.case_id')
    .select([
      'm.case_id',
      'm.created_at as at',
      'm.acknowledged_at',
      'm.contained_at',
      'm.closed_at',
      'm.false_positive_at',
      'm.last_change_at',
      'c.severity',
      'c.assignee',
      'c.status',
      'c.resolution',
    ])
    .execute();
  const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
  return rows.map((r) => {
    const closedAt = num(r.closed_at);
    // Closed now only when the last status change was the close: a reopen restarts the resolve clock.
    const closed = closedAt !== null && closedAt === num(r.last_change_at);
    return {
      caseId: r.case_id,
      severity: r.severity,
      assignee: r.assignee,
      createdAt: Number(r.at),
      acknowledgedAt: num(r.acknowledged_at),
      containedAt: num(r.contained_at),
      resolvedAt: closed ? closedAt : null,
      // False positives are counted from the closing event itself; other resolutions are only labels.
      resolution: closed
        ? num(r.false_positive_at) === closedAt
          ? 'false_positive'
          : ((r.resolution ?? 'resolved') as CaseResolution)
        : null,
      status: r.status as CaseStatus,
    };
  });
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
    .where('status', '!=', 'closed')
    .groupBy(['severity', 'age_bucket'])
    .execute();
  return rows.map((r) => ({ severity: r.severity, ageBucket: String(r.age_bucket), count: Number(r.n) }));
}

/** Alerts received per source in [from, to). */
export async function countAlertsPerSource(
  db: Db,
  range: { from: number; to: number },
): Promise<Array<{ source: string; count: number }>> {
  const rows = await db
    .selectFrom('alerts')
    .select(['source', (eb) => eb.fn.countAll<number>().as('n')])
    .where('time', '>=', range.from)
    .where('time', '<', range.to)
    .groupBy('source')
    .orderBy('source')
    .execute();
  return rows.map((r) => ({ source: r.source, count: Number(r.n) }));
}

/**
 * For each detection rule, how many of the closed cases its alerts (in [from, to)) ended in were false
 * positives: the noise of a rule.
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
  const rows = await db
    .selectFrom('alerts')
    .innerJoin('cases', 'cases.id', 'alerts.case_id')
    .select((eb) => [
      'alerts.product',
      'alerts.rule_id',
      eb.fn.max('alerts.rule_name').as('rule_name'),
      eb.fn.count<number>('cases.id').distinct().as('closed'),
      eb.fn
        .count<number>(
          eb.case().when('cases.resolution', '=', 'false_positive').then(eb.ref('cases.id')).end(),
        )
        .distinct()
        .as('fp'),
    ])
    .where('cases.status', '=', 'closed')
    .where('alerts.time', '>=', range.from)
    .where('alerts.time', '<', range.to)
    .groupBy(['alerts.product', 'alerts.rule_id'])
    .orderBy('alerts.product')
    .orderBy('alerts.rule_id')
    .execute();
  return rows.map((r) => ({
    product: r.product,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    closed: Number(r.closed),
    falsePositives: Number(r.fp),
  }));
}
