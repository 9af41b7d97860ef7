import type { AppContext } from '../context.js';
import { loadOrCreateSigner, type CheckpointSigner } from '../../governance/audit/checkpoint-signer.js';
import {
  insertCheckpoint,
  latestCheckpoint,
  readAuditHead,
} from '../../store/audit/audit-checkpoint.repository.js';
import type { AuditCheckpointRow } from '../../store/audit/audit.table.js';

/** The checkpoint key of this installation (in the data directory). */
export const auditSignerOf = (ctx: Pick<AppContext, 'config'>): CheckpointSigner =>
  loadOrCreateSigner(ctx.config.dataDir);

/**
 * Signs the chain's current head, unless it is already signed. Called at start, periodically by the API
 * process, before archiving, and by `riposte audit checkpoint`.
 */
export async function writeAuditCheckpoint(
  ctx: Pick<AppContext, 'config' | 'store' | 'clock'>,
  signer: CheckpointSigner = auditSignerOf(ctx),
  atSeq?: { seq: number; hash: string },
): Promise<AuditCheckpointRow | undefined> {
  const head = atSeq ?? (await readAuditHead(ctx.store.db));
  if (head.seq === 0) return undefined;
  const latest = await latestCheckpoint(ctx.store.db);
  if (!atSeq && latest && latest.seq >= head.seq) return latest;
  const statement = { seq: head.seq, hash: head.hash, at: ctx.clock.now() };
  const row: AuditCheckpointRow = { ...statement, key_id: signer.keyId, signature: signer.sign(statement) };
  await insertCheckpoint(ctx.store.db, row);
  return row;
}
