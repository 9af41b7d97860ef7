import { createHash } from 'node:crypto';
import { mkdirSync, openSync, closeSync, fsyncSync, writeSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppContext } from '../context.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { assertAllowed } from '../../governance/authorize-principal.js';
import { actorOf, type Principal } from '../../governance/principal.js';
import { appendAudit, readAuditEntries } from '../../store/audit/audit.repository.js';
import {
  deleteAuditRange,
  firstLiveSeq,
  insertSegment,
  lastSeqBefore,
  listSegments,
} from '../../store/audit/audit-checkpoint.repository.js';
import type { AuditSegmentRow } from '../../store/audit/audit.table.js';
import { auditSignerOf, writeAuditCheckpoint } from './audit-checkpoint.service.js';

/** Where archived segments go unless told otherwise. */
export const auditArchiveDirOf = (ctx: Pick<AppContext, 'config'>): string =>
  resolve(ctx.config.dataDir, 'audit-archive');

/**
 * Moves entries older than `before` out of the table into an NDJSON file, with a signed checkpoint at its last
 * entry and a manifest beside it. The segment row keeps the chain's link (first prev hash, last hash), so
 * `audit verify` still checks the live table from where the archive ends, and re-checks the archive on request.
 * Retention is an administrator's setting; the archiving itself is recorded in the log it shortens, in the same
 * transaction that removes the rows.
 */
export async function archiveAuditLog(
  ctx: Pick<AppContext, 'config' | 'store' | 'clock'>,
  by: Principal,
  options: { before: number; archiveDir?: string },
): Promise<AuditSegmentRow | undefined> {
  assertAllowed(by, 'settings:admin');
  const db = ctx.store.db;
  const toSeq = await lastSeqBefore(db, options.before);
  if (toSeq === undefined) return undefined;
  const segments = await listSegments(db);
  const last = segments.at(-1);
  const fromSeq = last ? last.to_seq + 1 : ((await firstLiveSeq(db)) ?? 1);
  if (toSeq < fromSeq) return undefined;
  const [first] = await readAuditEntries(db, fromSeq - 1, 1);
  if (!first || first.seq !== fromSeq) {
    throw new RiposteError(
      'RIPOSTE_CONFLICT',
      `entry ${fromSeq} is missing: run \`riposte audit verify\` first`,
    );
  }
  const dir = options.archiveDir ?? auditArchiveDirOf(ctx);
  mkdirSync(dir, { recursive: true });
  const file = `audit-${String(fromSeq).padStart(12, '0')}-${String(toSeq).padStart(12, '0')}.ndjson`;
  const digest = createHash('sha256');
  const fd = openSync(join(dir, file), 'w', 0o600);
  let lastHash = '';
  try {
    for (let after = fromSeq - 1; after < toSeq;) {
      const batch = (await readAuditEntries(db, after, 5_000)).filter((e) => e.seq <= toSeq);
      if (batch.length === 0) break;
      const text = batch.map((e) => `${JSON.stringify(e)}\n`).join('');
      writeSync(fd, text);
      digest.update(text);
      const end = batch[batch.length - 1];
      if (!end) break;
      after = end.seq;
      lastHash = end.hash;
    }
    // The file must be on disk before its rows leave the table.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const signer = auditSignerOf(ctx);
  const checkpoint = await writeAuditCheckpoint(ctx, signer, { seq: toSeq, hash: lastHash });
  const segment: AuditSegmentRow = {
    from_seq: fromSeq,
    to_seq: toSeq,
    prev_hash: first.prevHash,
    last_hash: lastHash,
    file,
    file_sha256: digest.digest('hex'),
    archived_at: ctx.clock.now(),
  };
  writeFileSync(
    join(dir, file.replace(/\.ndjson$/, '.manifest.json')),
    `${JSON.stringify({ ...segment, checkpoint, publicKeyPem: signer.publicKeyPem }, null, 2)}\n`,
    { mode: 0o600 },
  );
  await db.transaction().execute(async (trx) => {
    await insertSegment(trx, segment);
    await deleteAuditRange(trx, fromSeq, toSeq);
    await appendAudit(
      trx,
      ctx.store,
      {
        actor: actorOf(by),
        action: 'audit.archived',
        target: { type: 'audit_segment', id: file },
        details: { fromSeq, toSeq, fileSha256: segment.file_sha256, checkpointSeq: checkpoint?.seq ?? null },
      },
      ctx.clock.now(),
    );
  });
  return segment;
}
