import type { AppContext } from '../context.js';
import { invalid } from '../../domain/shared/errors.js';
import type { AuditEntry } from '../../governance/audit/audit-chain.js';
import { assertAllowed } from '../../governance/authorize-principal.js';
import { actorOf, type Principal } from '../../governance/principal.js';
import { recordAudit } from '../../store/audit/audit.repository.js';
import { queryAuditEntries, type AuditFilter } from '../../store/audit/audit-query.repository.js';

export type { AuditFilter } from '../../store/audit/audit-query.repository.js';

/** Cursors are the last sequence number seen, opaque to clients. */
export const encodeAuditCursor = (seq: number): string => Buffer.from(`seq:${seq}`).toString('base64url');

export function decodeAuditCursor(cursor: string): number {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1])
    throw invalid('the cursor is not one this API returned', [
      { path: 'querystring.cursor', message: 'invalid' },
    ]);
  return Number(match[1]);
}

/** A page of the audit log (needs `audit:read`), oldest first, with the cursor of the next page. */
export async function queryAudit(
  ctx: AppContext,
  by: Principal,
  filter: AuditFilter,
  page: { cursor?: string; limit: number },
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  assertAllowed(by, 'audit:read');
  const afterSeq = page.cursor ? decodeAuditCursor(page.cursor) : 0;
  const items = await queryAuditEntries(ctx.store.db, filter, { afterSeq, limit: page.limit });
  const last = items.at(-1);
  return { items, nextCursor: items.length === page.limit && last ? encodeAuditCursor(last.seq) : null };
}

/**
 * Every matching entry as NDJSON lines, streamed a page at a time (for a SIEM). The export itself is recorded
 * in the log, before the first line, as evidence access.
 */
export async function* exportAuditNdjson(
  ctx: AppContext,
  by: Principal,
  filter: AuditFilter,
): AsyncGenerator<string> {
  assertAllowed(by, 'audit:read');
  await recordAudit(
    ctx.store.db,
    ctx.store,
    {
      actor: actorOf(by),
      action: 'audit.exported',
      target: { type: 'audit_log', id: 'audit_log' },
      details: { filter },
    },
    ctx.clock.now(),
  );
  let afterSeq = 0;
  for (;;) {
    const batch = await queryAuditEntries(ctx.store.db, filter, { afterSeq, limit: 2_000 });
    if (batch.length === 0) return;
    yield batch.map((e) => `${JSON.stringify(e)}\n`).join('');
    afterSeq = batch[batch.length - 1]?.seq ?? afterSeq;
  }
}
