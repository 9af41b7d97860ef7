import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kysely } from 'kysely';
import { GENESIS_HASH, verifyAuditEntries, type AuditEntry } from '../../governance/audit/audit-chain.js';
import { verifyCheckpointSignature } from '../../governance/audit/checkpoint-signer.js';
import { readAuditEntries } from '../../store/audit/audit.repository.js';
import {
  listCheckpoints,
  listSegments,
  readAuditHead,
} from '../../store/audit/audit-checkpoint.repository.js';
import type { AuditCheckpointRow } from '../../store/audit/audit.table.js';
import type { Database } from '../../store/schema.js';

export type AuditProblemReason =
  | 'hash_mismatch'
  | 'broken_link'
  | 'gap'
  | 'truncated'
  | 'checkpoint_mismatch'
  | 'checkpoint_signature'
  | 'checkpoint_unknown_key'
  | 'archive_missing'
  | 'archive_altered';

export interface AuditProblem {
  seq: number;
  reason: AuditProblemReason;
  message: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  entriesChecked: number;
  archivedEntriesChecked: number;
  checkpointsChecked: number;
  /** The last entry of the chain as verified. */
  lastSeq: number;
  problems: AuditProblem[];
}

export interface VerifyOptions {
  /** The checkpoint key's public half and id; without them, signatures are not checked. */
  signer?: { keyId: string; publicKeyPem: string };
  /** Re-verify archived segments from their files in this directory. */
  archiveDir?: string;
  batchSize?: number;
}

/** Waits for a read that is no longer needed, so it neither dangles nor rejects unhandled. */
const settled = (pending: Promise<unknown>): Promise<void> =>
  pending.then(
    () => undefined,
    () => undefined,
  );

/**
 * Walks the whole chain in constant memory and reports the first place it breaks: an edited entry (its hash no
 * longer matches), a deleted one (a gap, or a head past the last entry), a reordered one (a broken link), or a
 * checkpoint the chain or the key does not match. Archived segments continue the chain from their last hash.
 */
export async function verifyAuditLog(
  db: Kysely<Database>,
  options: VerifyOptions = {},
): Promise<AuditVerifyReport> {
  const report: AuditVerifyReport = {
    ok: true,
    entriesChecked: 0,
    archivedEntriesChecked: 0,
    checkpointsChecked: 0,
    lastSeq: 0,
    problems: [],
  };
  const fail = (problem: AuditProblem): AuditVerifyReport => {
    report.ok = false;
    report.problems.push(problem);
    return report;
  };
  const checkpoints = new Map<number, AuditCheckpointRow>();
  for (const cp of await listCheckpoints(db)) {
    checkpoints.set(cp.seq, cp);
    if (!options.signer) continue;
    if (cp.key_id !== options.signer.keyId) {
      return fail({
        seq: cp.seq,
        reason: 'checkpoint_unknown_key',
        message: `checkpoint at entry ${cp.seq} was signed by key ${cp.key_id}, not this installation's ${options.signer.keyId}`,
      });
    }
    if (!verifyCheckpointSignature(options.signer.publicKeyPem, cp, cp.signature)) {
      return fail({
        seq: cp.seq,
        reason: 'checkpoint_signature',
        message: `checkpoint at entry ${cp.seq} has a bad signature: the checkpoint was altered`,
      });
    }
  }
  const checkAgainstCheckpoints = (entries: AuditEntry[]): AuditProblem | undefined => {
    for (const e of entries) {
      const cp = checkpoints.get(e.seq);
      if (!cp) continue;
      report.checkpointsChecked += 1;
      if (cp.hash !== e.hash) {
        return {
          seq: e.seq,
          reason: 'checkpoint_mismatch',
          message: `entry ${e.seq} differs from its signed checkpoint: the chain was rewritten up to here`,
        };
      }
    }
    return undefined;
  };

  let state = { prevHash: GENESIS_HASH, expectedSeq: 1 };
  for (const segment of await listSegments(db)) {
    if (segment.from_seq !== state.expectedSeq || segment.prev_hash !== state.prevHash) {
      return fail({
        seq: state.expectedSeq,
        reason: 'gap',
        message: `archived segment ${segment.from_seq}-${segment.to_seq} does not continue the chain at entry ${state.expectedSeq}`,
      });
    }
    if (options.archiveDir) {
      const problem = await verifyArchive(
        join(options.archiveDir, segment.file),
        segment,
        state,
        (entries) => {
          report.archivedEntriesChecked += entries.length;
          return checkAgainstCheckpoints(entries);
        },
      );
      if (problem) return fail(problem);
    } else {
      const cp = checkpoints.get(segment.to_seq);
      if (cp) {
        report.checkpointsChecked += 1;
        if (cp.hash !== segment.last_hash) {
          return fail({
            seq: segment.to_seq,
            reason: 'checkpoint_mismatch',
            message: `archived segment ${segment.from_seq}-${segment.to_seq} ends differently from its checkpoint`,
          });
        }
      }
    }
    state = { prevHash: segment.last_hash, expectedSeq: segment.to_seq + 1 };
  }

  const batchSize = options.batchSize ?? 5_000;
  let next = readAuditEntries(db, state.expectedSeq - 1, batchSize);
  for (;;) {
    const entries = await next;
    const last = entries[entries.length - 1];
    if (!last) break;
    // The next page is read while this one is hashed: on PostgreSQL the query overlaps the CPU work.
    next = readAuditEntries(db, last.seq, batchSize);
    const result = verifyAuditEntries(entries, state);
    if (!result.ok) {
      await settled(next);
      return fail(result.break);
    }
    const problem = checkAgainstCheckpoints(entries);
    if (problem) {
      await settled(next);
      return fail(problem);
    }
    report.entriesChecked += entries.length;
    state = { prevHash: result.prevHash, expectedSeq: result.expectedSeq };
  }
  report.lastSeq = state.expectedSeq - 1;

  const head = await readAuditHead(db);
  if (head.seq !== report.lastSeq || head.hash !== state.prevHash) {
    return fail({
      seq: report.lastSeq + 1,
      reason: 'truncated',
      message:
        head.seq > report.lastSeq
          ? `entries ${report.lastSeq + 1}-${head.seq} were deleted from the end of the chain`
          : `the chain head (entry ${head.seq}) does not match the last entry ${report.lastSeq}`,
    });
  }
  for (const cp of checkpoints.values()) {
    if (cp.seq > report.lastSeq) {
      return fail({
        seq: cp.seq,
        reason: 'truncated',
        message: `a checkpoint vouches for entry ${cp.seq}, but the chain ends at ${report.lastSeq}: entries were deleted`,
      });
    }
  }
  return report;
}

async function verifyArchive(
  path: string,
  segment: { from_seq: number; to_seq: number; last_hash: string; file_sha256: string },
  start: { prevHash: string; expectedSeq: number },
  onBatch: (entries: AuditEntry[]) => AuditProblem | undefined,
): Promise<AuditProblem | undefined> {
  if (!existsSync(path)) {
    return {
      seq: segment.from_seq,
      reason: 'archive_missing',
      message: `the archive of entries ${segment.from_seq}-${segment.to_seq} (${path}) is missing`,
    };
  }
  const digest = createHash('sha256');
  const lines = createInterface({ input: createReadStream(path).on('data', (d) => digest.update(d)) });
  let state = start;
  let batch: AuditEntry[] = [];
  const flush = (): AuditProblem | undefined => {
    const result = verifyAuditEntries(batch, state);
    if (!result.ok) return result.break;
    const problem = onBatch(batch);
    state = { prevHash: result.prevHash, expectedSeq: result.expectedSeq };
    batch = [];
    return problem;
  };
  for await (const line of lines) {
    if (!line) continue;
    batch.push(JSON.parse(line) as AuditEntry);
    if (batch.length >= 5_000) {
      const problem = flush();
      if (problem) return problem;
    }
  }
  const problem = flush();
  if (problem) return problem;
  if (state.expectedSeq !== segment.to_seq + 1 || state.prevHash !== segment.last_hash) {
    return {
      seq: state.expectedSeq,
      reason: 'archive_altered',
      message: `the archive of entries ${segment.from_seq}-${segment.to_seq} ends early or differently`,
    };
  }
  if (digest.digest('hex') !== segment.file_sha256) {
    return {
      seq: segment.from_seq,
      reason: 'archive_altered',
      message: `the archive file ${path} was changed after it was written`,
    };
  }
  return undefined;
}
