import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface PlaybookTrustGrant {
  action: string;
  grantedBy: string;
  grantedAt: number;
}

/** The actions a playbook is trusted to run without policy approval, by name. */
export async function listPlaybookTrust(db: Db, playbookId: string): Promise<PlaybookTrustGrant[]> {
  const rows = await db
    .selectFrom('playbook_trust')
    .selectAll()
    .where('playbook_id', '=', playbookId)
    .orderBy('action')
    .execute();
  return rows.map((r) => ({ action: r.action, grantedBy: r.granted_by, grantedAt: Number(r.granted_at) }));
}

/** Replaces the playbook's trusted actions with `actions`; grants kept from before keep their author. */
export async function replacePlaybookTrust(
  trx: Transaction<Database>,
  input: { playbookId: string; actions: readonly string[]; grantedBy: string },
  now: number,
): Promise<void> {
  const before = new Set((await listPlaybookTrust(trx, input.playbookId)).map((g) => g.action));
  const wanted = new Set(input.actions);
  const removed = [...before].filter((a) => !wanted.has(a));
  const added = [...wanted].filter((a) => !before.has(a));
  if (removed.length)
    await trx
      .deleteFrom('playbook_trust')
      .where('playbook_id', '=', input.playbookId)
      .where('action', 'in', removed)
      .execute();
  if (added.length)
    await trx
      .insertInto('playbook_trust')
      .values(
        added.map((action) => ({
          playbook_id: input.playbookId,
          action,
          granted_by: input.grantedBy,
          granted_at: now,
        })),
      )
      .execute();
}
