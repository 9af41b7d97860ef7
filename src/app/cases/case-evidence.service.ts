import type { Actor } from '../../domain/shared/actor.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import {
  findEvidence,
  insertEvidence,
  readInlineEvidence,
  type Evidence,
} from '../../store/cases/case-evidence.repository.js';
import { readEvidenceFile, sha256Hex, writeEvidenceFile } from '../../store/cases/evidence-files.js';
import type { AppContext } from '../context.js';
import { loadCaseForChange, recordCaseChange } from './case-command-support.js';

/** How big an upload may be, and below which size the bytes stay in the database instead of on disk. */
export interface EvidenceLimits {
  maxBytes: number;
  inlineMaxBytes: number;
}

export const DEFAULT_EVIDENCE_LIMITS: EvidenceLimits = {
  maxBytes: 25 * 1024 * 1024,
  inlineMaxBytes: 64 * 1024,
};

export interface EvidenceUpload {
  caseId: string;
  bytes: Buffer;
  contentType: string;
  filename: string;
  description?: string;
  /** The client's SHA-256 of what it sent; the upload is refused when the bytes do not match. */
  expectedSha256?: string;
  actor: Actor;
}

/**
 * Stores an evidence file by its SHA-256 and records the upload on the case's timeline and in the audit log
 * (the first chain-of-custody entry). Large files go to `dataDir/evidence` before the transaction (written
 * once by hash, so a failed commit leaves nothing that matters); small ones stay in the row.
 */
export async function uploadEvidence(
  ctx: AppContext,
  input: EvidenceUpload,
  limits: EvidenceLimits = DEFAULT_EVIDENCE_LIMITS,
): Promise<Evidence> {
  if (input.bytes.byteLength > limits.maxBytes) {
    throw new RiposteError(
      'RIPOSTE_PAYLOAD_TOO_LARGE',
      `evidence is ${input.bytes.byteLength} bytes; the limit is ${limits.maxBytes}`,
      { details: [{ path: 'body', message: `over ${limits.maxBytes} bytes` }] },
    );
  }
  if (input.bytes.byteLength === 0) {
    throw new RiposteError('RIPOSTE_VALIDATION', 'evidence file is empty', {
      details: [{ path: 'body', message: 'empty' }],
    });
  }
  const sha256 = sha256Hex(input.bytes);
  if (input.expectedSha256 && input.expectedSha256.toLowerCase() !== sha256) {
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', 'the uploaded bytes do not match the checksum sent', {
      details: [
        {
          path: 'headers.x-checksum-sha256',
          message: `expected ${input.expectedSha256}, received ${sha256}`,
        },
      ],
    });
  }
  const storage: Evidence['storage'] = input.bytes.byteLength > limits.inlineMaxBytes ? 'file' : 'inline';
  if (storage === 'file') await writeEvidenceFile(ctx.config.dataDir, sha256, input.bytes);
  const deps = { newId: ctx.newId, dialect: ctx.store.dialect };
  const now = ctx.clock.now();
  const evidence = await ctx.store.db.transaction().execute(async (trx) => {
    await loadCaseForChange(trx, deps, input.caseId);
    const record: Evidence = {
      id: ctx.newId(),
      caseId: input.caseId,
      sha256,
      size: input.bytes.byteLength,
      contentType: input.contentType,
      filename: input.filename,
      description: input.description ?? '',
      storage,
      createdAt: now,
      createdBy: input.actor.id,
    };
    await insertEvidence(trx, record, storage === 'inline' ? input.bytes : null);
    await recordCaseChange(
      trx,
      deps,
      {
        caseId: input.caseId,
        type: 'evidence_added',
        actor: input.actor,
        data: {
          evidenceId: record.id,
          sha256,
          size: record.size,
          contentType: record.contentType,
          filename: record.filename,
        },
        action: 'evidence.uploaded',
      },
      now,
    );
    return record;
  });
  await ctx.store.notifier.notify(`case:${input.caseId}`).catch(() => undefined);
  return evidence;
}

/**
 * Reads an evidence file back, checks its bytes still hash to the recorded SHA-256, and records who took it
 * (chain of custody) before handing the bytes out.
 */
export async function downloadEvidence(
  ctx: AppContext,
  input: { caseId: string; evidenceId: string; actor: Actor },
): Promise<{ evidence: Evidence; bytes: Buffer }> {
  const evidence = await findEvidence(ctx.store.db, input.caseId, input.evidenceId);
  if (!evidence) throw notFound('evidence', input.evidenceId);
  const bytes =
    evidence.storage === 'inline'
      ? await readInlineEvidence(ctx.store.db, evidence.id)
      : await readEvidenceFile(ctx.config.dataDir, evidence.sha256).catch(() => null);
  if (!bytes || sha256Hex(bytes) !== evidence.sha256) {
    ctx.log.error({ evidenceId: evidence.id, caseId: evidence.caseId }, 'evidence bytes missing or altered');
    throw new RiposteError('RIPOSTE_INTERNAL', `evidence ${evidence.id} failed its integrity check`);
  }
  const deps = { newId: ctx.newId, dialect: ctx.store.dialect };
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    // Downloads from a merged case are still custody events of the case that holds the file now.
    await loadCaseForChange(trx, deps, evidence.caseId, { allowMerged: true });
    await recordCaseChange(
      trx,
      deps,
      {
        caseId: evidence.caseId,
        type: 'evidence_downloaded',
        actor: input.actor,
        data: { evidenceId: evidence.id, sha256: evidence.sha256 },
        action: 'evidence.downloaded',
      },
      now,
    );
  });
  return { evidence, bytes };
}
