import { verifyAuditLog } from '../src/app/audit/audit-verify.service.js';
import { hashAuditEntry, type AuditEntry } from '../src/governance/audit/audit-chain.js';
import { recordAudit } from '../src/store/audit/audit.repository.js';
import { readAuditHead } from '../src/store/audit/audit-checkpoint.repository.js';
import type { Store } from '../src/store/store.js';
import { perSecond, timed, type Benchmark } from './harness.js';

async function appendMany(store: Store, writers: number, perWriter: number): Promise<number> {
  const writer = async (w: number) => {
    for (let i = 0; i < perWriter; i += 1) {
      await recordAudit(
        store.db,
        store,
        {
          actor: { type: 'system', id: `w${w}`, name: 'bench' },
          action: 'bench.appended',
          target: { type: 'bench', id: `${w}-${i}` },
          details: { i },
        },
        Date.now(),
      );
    }
  };
  const { ms } = await timed(() => Promise.all(Array.from({ length: writers }, (_, w) => writer(w))));
  return perSecond(writers * perWriter, ms);
}

/** Writes `count` chained entries straight into the table (bulk, for the verify figure), then moves the head. */
async function fillChain(store: Store, count: number): Promise<void> {
  let { seq, hash } = await readAuditHead(store.db);
  for (let done = 0; done < count; done += 500) {
    const rows = [];
    for (let i = 0; i < Math.min(500, count - done); i += 1) {
      seq += 1;
      const unhashed: Omit<AuditEntry, 'hash'> = {
        seq,
        at: 1_700_000_000_000 + seq,
        actor: { type: 'system', id: 'bench', name: 'bench' },
        action: 'bench.filled',
        target: { type: 'bench', id: String(seq) },
        outcome: 'success',
        details: { seq },
        prevHash: hash,
      };
      hash = hashAuditEntry(unhashed);
      rows.push({
        seq,
        at: unhashed.at,
        actor_type: 'system',
        actor_id: 'bench',
        actor_name: 'bench',
        action: unhashed.action,
        target_type: 'bench',
        target_id: String(seq),
        outcome: 'success',
        details: JSON.stringify(unhashed.details),
        prev_hash: unhashed.prevHash,
        hash,
      });
    }
    await store.db.insertInto('audit_log').values(rows).execute();
  }
  await store.db.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
}

/**
 * Audit figures: appends per second with 1 and 4 concurrent writers (each append is its own transaction that
 * serialises on the chain head), then `audit verify` over the whole chain (entries per second). The chain must
 * verify at the end, or the figures do not count.
 */
export async function benchAudit(
  store: Store,
  options: { appendsPerWriter?: number; verifyEntries?: number } = {},
): Promise<Record<string, number>> {
  const perWriter = options.appendsPerWriter ?? 500;
  const oneWriter = await appendMany(store, 1, perWriter * 2);
  const fourWriters = await appendMany(store, 4, perWriter);
  await fillChain(store, options.verifyEntries ?? 100_000);
  const { ms, result } = await timed(() => verifyAuditLog(store.db));
  if (!result.ok) throw new Error(`the chain did not verify: ${result.problems[0]?.message}`);
  return {
    appendsPerSecond1Writer: oneWriter,
    appendsPerSecond4Writers: fourWriters,
    verifiedEntries: result.entriesChecked,
    verifyEntriesPerSecond: perSecond(result.entriesChecked, ms),
    verifyMs: Math.round(ms),
  };
}

/** The same, in the harness's shape (`npm run bench -- --only audit`); the full run verifies 1,000,000 entries. */
export const auditBenchmark: Benchmark = {
  name: 'audit',
  description: 'audit appends/s with 1 and 4 writers; audit verify over a long chain',
  async run(store, { quick }) {
    const r = await benchAudit(
      store,
      quick ? { appendsPerWriter: 100, verifyEntries: 20_000 } : { verifyEntries: 1_000_000 },
    );
    return [
      { name: 'appends, 1 writer', value: r.appendsPerSecond1Writer ?? 0, unit: 'entries/s' },
      { name: 'appends, 4 writers', value: r.appendsPerSecond4Writers ?? 0, unit: 'entries/s' },
      { name: `verify over ${r.verifiedEntries} entries`, value: r.verifyMs ?? 0, unit: 'ms' },
      { name: 'verify rate', value: r.verifyEntriesPerSecond ?? 0, unit: 'entries/s' },
    ];
  },
};
