import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_SLA_POLICIES, type SlaPolicies, type SlaPolicy } from '../../domain/cases/case-sla.js';
import { Severity } from '../../domain/shared/severity.js';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StoredSlaPolicies {
  policies: SlaPolicies;
  /** Severities with a configured policy; the others use the built-in defaults. */
  configured: Array<{ severity: Severity; updatedAt: number; updatedBy: string }>;
}

/** The policy in force for every severity: configured rows over the built-in defaults. */
export async function loadSlaPolicies(db: Db): Promise<StoredSlaPolicies> {
  const rows = await db.selectFrom('sla_policies').selectAll().execute();
  const policies: SlaPolicies = { ...DEFAULT_SLA_POLICIES };
  const configured: StoredSlaPolicies['configured'] = [];
  for (const r of rows) {
    if (!(Severity as readonly string[]).includes(r.severity)) continue;
    const severity = r.severity as Severity;
    policies[severity] = {
      acknowledge: Number(r.acknowledge_ms),
      contain: Number(r.contain_ms),
      resolve: Number(r.resolve_ms),
    };
    configured.push({ severity, updatedAt: Number(r.updated_at), updatedBy: r.updated_by });
  }
  return { policies, configured };
}

/** The policy in force for one severity. */
export async function loadSlaPolicy(db: Db, severity: Severity): Promise<SlaPolicy> {
  const r = await db
    .selectFrom('sla_policies')
    .selectAll()
    .where('severity', '=', severity)
    .executeTakeFirst();
  return r
    ? { acknowledge: Number(r.acknowledge_ms), contain: Number(r.contain_ms), resolve: Number(r.resolve_ms) }
    : DEFAULT_SLA_POLICIES[severity];
}

/** Sets one severity's policy. */
export async function saveSlaPolicy(
  trx: Transaction<Database>,
  input: { severity: Severity; policy: SlaPolicy; actorId: string },
  now: number,
): Promise<void> {
  const values = {
    acknowledge_ms: input.policy.acknowledge,
    contain_ms: input.policy.contain,
    resolve_ms: input.policy.resolve,
    updated_at: now,
    updated_by: input.actorId,
  };
  await trx
    .insertInto('sla_policies')
    .values({ severity: input.severity, ...values })
    .onConflict((oc) => oc.column('severity').doUpdateSet(values))
    .execute();
}
