/**
 * Prints the plan of every alert list filter (listAlerts) on both stores, with and without an index, over
 * synthetic alerts: `npx tsx scripts/explain-alert-filters.ts [index-to-drop]`. Used to prove an index unused.
 */
import { sql } from 'kysely';
import { openTestStore, DIALECTS } from '../test/support/stores.js';

const N = 60_000;
const drop = process.argv[2];
const T0 = 1_760_000_000_000;

for (const dialect of DIALECTS) {
  const handle = await openTestStore(dialect);
  const db = handle.store.db;
  try {
    await sql.raw(buildInsert(dialect)).execute(db);
    await sql
      .raw(
        dialect === 'sqlite'
          ? `insert into observables (id, type, value, tags, first_seen, last_seen) select 'o' || id, 'ipv4', 'v' || substr(id, 3), '[]', 0, 0 from alerts where rowid % 3 = 0`
          : `insert into observables (id, type, value, tags, first_seen, last_seen) select 'o' || id, 'ipv4', 'v' || substr(id, 3), '[]', 0, 0 from alerts where right(id, 1)::int % 3 = 0`,
      )
      .execute(db);
    await sql
      .raw(
        `insert into alert_observables (alert_id, observable_id, role) select substr(id, 2), id, 'src' from observables`,
      )
      .execute(db);
    if (drop) await sql.raw(`drop index if exists ${drop}`).execute(db);
    await sql.raw('analyze').execute(db);
    const mid = T0 + (N / 2) * 1000;
    const filters: Record<string, string> = {
      none: '',
      from: `alerts.time >= ${mid}`,
      to: `alerts.time < ${mid}`,
      'from+to (1 min)': `alerts.time >= ${mid} and alerts.time < ${mid + 60_000}`,
      'from+to (1 h)': `alerts.time >= ${mid} and alerts.time < ${mid + 3_600_000}`,
      source: `alerts.source = 'src3'`,
      'source+from+to': `alerts.source = 'src3' and alerts.time >= ${mid} and alerts.time < ${mid + 60_000}`,
      severity: `alerts.severity in ('critical','high')`,
      'severity+from+to': `alerts.severity in ('critical') and alerts.time >= ${mid} and alerts.time < ${mid + 60_000}`,
      case: `alerts.case_id = 'case7'`,
      'case+from+to': `alerts.case_id = 'case7' and alerts.time >= ${mid} and alerts.time < ${mid + 3_600_000}`,
      observable: `alerts.id in (select alert_observables.alert_id from alert_observables inner join observables on observables.id = alert_observables.observable_id where observables.value = 'v000000000033')`,
      'observable+from+to': `alerts.time >= ${mid} and alerts.time < ${mid + 60_000} and alerts.id in (select alert_observables.alert_id from alert_observables inner join observables on observables.id = alert_observables.observable_id where observables.value = 'v000000000033')`,
      cursor: `alerts.id < 'id000000030000'`,
      'cursor+from': `alerts.id < 'id000000030000' and alerts.time >= ${mid - 600_000}`,
    };
    const queries = Object.entries(filters).map(([name, where]) => [
      name,
      `select alerts.* from alerts ${where ? `where ${where}` : ''} order by alerts.id desc limit 51`,
    ]);
    // The response metrics' partial days (case-metrics.repository.ts) read alerts by time too.
    queries.push([
      'metrics: per source',
      `select source, count(*) from alerts where time >= ${mid} and time < ${mid + 3_600_000} group by source`,
    ]);
    queries.push([
      'metrics: per rule',
      `select case_id, coalesce(product, '') as product, coalesce(rule_id, '') as rule_id, rule_name from alerts where time >= ${mid} and time < ${mid + 3_600_000} and case_id is not null`,
    ]);
    for (const [name, q] of queries) {
      const explain =
        dialect === 'sqlite'
          ? `explain query plan ${q}`
          : `explain (analyze, costs off, timing off, summary off) ${q}`;
      const { rows } = await sql.raw<Record<string, unknown>>(explain).execute(db);
      const plan = rows.map((r) => String(r.detail ?? r['QUERY PLAN'])).join(' | ');
      console.log(`${dialect}\t${drop ?? '(all)'}\t${name}\t${plan}`);
    }
  } finally {
    await handle.cleanup();
  }
}

function buildInsert(dialect: string): string {
  const series =
    dialect === 'sqlite'
      ? `with recursive s(i) as (select 0 union all select i + 1 from s where i < ${N - 1}) select i from s`
      : `select generate_series(0, ${N - 1}) as i`;
  const pad = dialect === 'sqlite' ? `printf('%012d', i)` : `lpad(i::text, 12, '0')`;
  const sev =
    dialect === 'sqlite'
      ? "case i % 5 when 0 then 'critical' when 1 then 'high' when 2 then 'medium' when 3 then 'low' else 'info' end"
      : "(array['critical','high','medium','low','info'])[i % 5 + 1]";
  return `insert into alerts (id, source, source_event_id, fingerprint, title, severity, mapper, time, first_seen,
        last_seen, count, case_id, product, rule_id, normalized, raw, created_at)
      select 'id' || ${pad}, 'src' || (i % 7), null, 'fp' || i, 't', ${sev}, 'm', ${T0} + i * 1000, ${T0} + i * 1000,
        ${T0} + i * 1000, 1, 'case' || (i % 500), 'p', 'r' || (i % 200), '{}', '{}', ${T0} + i * 1000
      from (${series}) s`;
}
