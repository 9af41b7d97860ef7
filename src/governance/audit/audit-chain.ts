import { hash } from 'node:crypto';
import { canonicalJson } from '../../domain/shared/canonical-json.js';
import type { Actor } from '../principal.js';

export type AuditOutcome = 'success' | 'denied' | 'failure';

/** What a caller records: who did what to which thing, and how it went. */
export interface AuditEntryInput {
  actor: Actor;
  /** Dotted verb, e.g. `case.status_changed`, `playbook.published`, `auth.login_failed`. */
  action: string;
  target: { type: string; id: string };
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
}

/** An entry as chained: its position, time, and the hash that links it to the one before. */
export interface AuditEntry extends Required<Omit<AuditEntryInput, 'details'>> {
  seq: number;
  at: number;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** The hash before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 over the previous hash and the entry's canonical JSON: editing, removing or reordering breaks it. */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalJson({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    details: entry.details,
  });
  // One-shot hashing of the same bytes (prevHash, a newline, the body): half the cost of a Hash object.
  return hash('sha256', `${entry.prevHash}\n${body}`, 'hex');
}

export interface ChainBreak {
  seq: number;
  reason: 'hash_mismatch' | 'broken_link' | 'gap';
  message: string;
}

/**
 * Checks a run of consecutive entries. `prevHash` and `expectedSeq` carry the state across batches so a
 * long chain is verified in constant memory.
 */
export function verifyAuditEntries(
  entries: Iterable<AuditEntry>,
  start: { prevHash: string; expectedSeq: number },
): { ok: true; prevHash: string; expectedSeq: number } | { ok: false; break: ChainBreak } {
  let { prevHash, expectedSeq } = start;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) {
      return {
        ok: false,
        break: {
          seq: expectedSeq,
          reason: 'gap',
          message: `entry ${expectedSeq} is missing or out of order (found ${entry.seq})`,
        },
      };
    }
    if (entry.prevHash !== prevHash) {
      return {
        ok: false,
        break: {
          seq: entry.seq,
          reason: 'broken_link',
          message: `entry ${entry.seq} does not link to entry ${entry.seq - 1}`,
        },
      };
    }
    if (hashAuditEntry(entry) !== entry.hash) {
      return {
        ok: false,
        break: {
          seq: entry.seq,
          reason: 'hash_mismatch',
          message: `entry ${entry.seq} was altered after it was written`,
        },
      };
    }
    prevHash = entry.hash;
    expectedSeq += 1;
  }
  return { ok: true, prevHash, expectedSeq };
}
