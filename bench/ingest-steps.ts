import type { Store } from '../src/store/store.js';

/**
 * Transactions that stored alerts (each writes one audit entry), of one source or of all. A transaction's
 * commit and its dozen statements are shared by its alerts: alerts per transaction decides much of a single
 * POST's cost. For the bench and the measuring scripts.
 */
export async function ingestSteps(store: Store, source?: string): Promise<number> {
  let query = store.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('steps'))
    .where('action', '=', 'alerts.ingested');
  if (source !== undefined) query = query.where('target_id', '=', source);
  const { steps } = await query.executeTakeFirstOrThrow();
  return Number(steps);
}
