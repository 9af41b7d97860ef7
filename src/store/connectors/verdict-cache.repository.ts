import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** A cached action output still valid at `now`, or undefined. */
export async function readCachedVerdict(
  db: Kysely<Database>,
  action: string,
  key: string,
  now: number,
): Promise<unknown> {
  const row = await db
    .selectFrom('connector_verdict_cache')
    .select(['output', 'expires_at'])
    .where('action', '=', action)
    .where('cache_key', '=', key)
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return undefined;
  return JSON.parse(row.output) as unknown;
}

export async function writeCachedVerdict(
  db: Kysely<Database>,
  entry: { action: string; key: string; output: unknown; ttlMs: number },
  now: number,
): Promise<void> {
  const values = {
    action: entry.action,
    cache_key: entry.key,
    output: JSON.stringify(entry.output),
    stored_at: now,
    expires_at: now + entry.ttlMs,
  };
  await db
    .insertInto('connector_verdict_cache')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['action', 'cache_key']).doUpdateSet({
        output: values.output,
        stored_at: values.stored_at,
        expires_at: values.expires_at,
      }),
    )
    .execute();
}

/** Drops expired entries; returns how many. */
export async function purgeExpiredVerdicts(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db
    .deleteFrom('connector_verdict_cache')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
