import type { Kysely } from 'kysely';
import type { Indicator, IndicatorPort, IndicatorType } from './indicator.types.js';
import type { Database } from '../schema.js';
import type { IndicatorRow } from './connector.table.js';

export const indicatorRowToIndicator = (row: IndicatorRow): Indicator => ({
  id: row.id,
  source: row.source,
  type: row.type as IndicatorType,
  value: row.value,
  name: row.name,
  labels: JSON.parse(row.labels) as string[],
  confidence: row.confidence,
  validFrom: row.valid_from,
  validUntil: row.valid_until,
  modified: row.modified,
  raw: JSON.parse(row.raw) as unknown,
});

/** Inserts or replaces indicators by id, keeping the newer `modified` version; one transaction. */
export async function upsertIndicators(
  db: Kysely<Database>,
  indicators: readonly Indicator[],
): Promise<number> {
  if (indicators.length === 0) return 0;
  await db.transaction().execute(async (trx) => {
    for (const i of indicators) {
      const values = {
        id: i.id,
        source: i.source,
        type: i.type,
        value: i.value.toLowerCase(),
        name: i.name,
        labels: JSON.stringify(i.labels),
        confidence: i.confidence,
        valid_from: i.validFrom,
        valid_until: i.validUntil,
        modified: i.modified,
        raw: JSON.stringify(i.raw),
      };
      await trx
        .insertInto('indicators')
        .values(values)
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet({
              type: values.type,
              value: values.value,
              name: values.name,
              labels: values.labels,
              confidence: values.confidence,
              valid_from: values.valid_from,
              valid_until: values.valid_until,
              modified: values.modified,
              raw: values.raw,
            })
            .where('indicators.modified', '<=', values.modified),
        )
        .execute();
    }
  });
  return indicators.length;
}

export async function findIndicators(
  db: Kysely<Database>,
  type: IndicatorType,
  value: string,
  now: number,
): Promise<Indicator[]> {
  const rows = await db
    .selectFrom('indicators')
    .selectAll()
    .where('type', '=', type)
    .where('value', '=', value.toLowerCase())
    .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]))
    .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', now)]))
    .orderBy('id')
    .execute();
  return rows.map(indicatorRowToIndicator);
}

/** The indicator store as connectors see it. */
export function createIndicatorPort(db: Kysely<Database>, now: () => number): IndicatorPort {
  return {
    upsert: (indicators) => upsertIndicators(db, indicators),
    find: (type, value, at) => findIndicators(db, type, value, at),
    async getCursor(source) {
      const row = await db
        .selectFrom('indicator_cursors')
        .select('cursor')
        .where('source', '=', source)
        .executeTakeFirst();
      return row?.cursor;
    },
    async setCursor(source, cursor) {
      await db
        .insertInto('indicator_cursors')
        .values({ source, cursor, updated_at: now() })
        .onConflict((oc) => oc.column('source').doUpdateSet({ cursor, updated_at: now() }))
        .execute();
    },
  };
}
