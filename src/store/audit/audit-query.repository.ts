import type { Kysely, Transaction } from 'kysely';
import type { AuditEntry } from '../../governance/audit/audit-chain.js';
import type { Database } from '../schema.js';
import { auditRowToEntry } from './audit.repository.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface AuditFilter {
  actorId?: string;
  actorType?: string;
  /** An exact action, or a prefix ending in `.` (`auth.` finds every sign-in event). */
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

/** One page of entries matching the filter, in chain order, after `afterSeq`. */
export async function queryAuditEntries(
  db: Db,
  filter: AuditFilter,
  page: { afterSeq: number; limit: number },
): Promise<AuditEntry[]> {
  let q = db.selectFrom('audit_log').selectAll().where('seq', '>', page.afterSeq);
  if (filter.actorId !== undefined) q = q.where('actor_id', '=', filter.actorId);
  if (filter.actorType !== undefined) q = q.where('actor_type', '=', filter.actorType);
  if (filter.action !== undefined) {
    q = filter.action.endsWith('.')
      ? q.where('action', 'like', `${filter.action.replace(/[%_\\]/g, '')}%`)
      : q.where('action', '=', filter.action);
  }
  if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType);
  if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
  if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
  if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('at', '<', filter.to);
  const rows = await q.orderBy('seq').limit(page.limit).execute();
  return rows.map(auditRowToEntry);
}
