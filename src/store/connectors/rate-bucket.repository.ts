import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialects/store-dialect.js';
import type { Database } from '../schema.js';

export interface RateBucketPolicy {
  perSecond: number;
  burst: number;
}

/**
 * Takes one token from the instance's bucket. Returns 0 when the request may go, otherwise how many ms to
 * wait before asking again. The bucket is a row, so every worker process draws from the same one.
 */
export async function takeRateToken(
  db: Kysely<Database>,
  deps: { dialect: Pick<StoreDialect, 'supportsRowLocks'> },
  instance: string,
  policy: RateBucketPolicy,
  now: number,
): Promise<number> {
  const full = policy.burst * 1000;
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('connector_rate_buckets')
      .values({ instance, tokens_milli: full, updated_at: now })
      .onConflict((oc) => oc.column('instance').doNothing())
      .execute();
    let q = trx.selectFrom('connector_rate_buckets').selectAll().where('instance', '=', instance);
    if (deps.dialect.supportsRowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirstOrThrow();
    // perSecond tokens per 1000 ms is perSecond thousandths per ms.
    const elapsed = Math.max(0, now - row.updated_at);
    const tokens = Math.min(full, row.tokens_milli + Math.floor(elapsed * policy.perSecond));
    if (tokens >= 1000) {
      await trx
        .updateTable('connector_rate_buckets')
        .set({ tokens_milli: tokens - 1000, updated_at: now })
        .where('instance', '=', instance)
        .execute();
      return 0;
    }
    await trx
      .updateTable('connector_rate_buckets')
      .set({ tokens_milli: tokens, updated_at: now })
      .where('instance', '=', instance)
      .execute();
    return Math.max(1, Math.ceil((1000 - tokens) / policy.perSecond));
  });
}
