import { sql } from 'kysely';
import type { Store } from '../../src/store/store.js';

/**
 * Makes the store fail inserting the alerts with these titles, as a real store can: `refused` with a data
 * exception (PostgreSQL's 22023, what text it cannot hold raises; PostgreSQL only), `broken` with an error no
 * item causes (a failing trigger). Tests of what ingest stores and answers when a transaction fails use it.
 */
export async function failAlertInserts(
  store: Store,
  titles: { refused?: readonly string[]; broken?: readonly string[] },
): Promise<void> {
  const refused = titles.refused ?? [];
  const broken = titles.broken ?? [];
  // Titles are the tests' own: quoted for SQL, nothing else to escape.
  const list = (t: readonly string[]): string => (t.length > 0 ? t.map((x) => `'${x}'`).join(', ') : "''");
  if (store.dialect.name === 'postgres') {
    await sql
      .raw(
        `create function fail_alert_inserts() returns trigger language plpgsql as $$
         begin
           if new.title in (${list(refused)}) then raise exception 'refused' using errcode = '22023'; end if;
           if new.title in (${list(broken)}) then raise exception 'broken'; end if;
           return new;
         end $$;
         create trigger fail_alert_inserts before insert on alerts
           for each row execute function fail_alert_inserts();`,
      )
      .execute(store.db);
    return;
  }
  if (refused.length > 0)
    throw new Error('SQLite raises no data exception from a trigger: refused is PostgreSQL only');
  await sql
    .raw(
      `create trigger fail_alert_inserts before insert on alerts when new.title in (${list(broken)})
       begin select raise(abort, 'broken'); end`,
    )
    .execute(store.db);
}
