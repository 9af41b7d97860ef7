import { invalid, notFound } from '../../domain/shared/errors.js';
import { assertAllowed } from '../../governance/authorize-principal.js';
import { actorOf, type Principal } from '../../governance/principal.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { findPlaybook } from '../../store/playbooks/playbook.repository.js';
import {
  listPlaybookTrust,
  replacePlaybookTrust,
  type PlaybookTrustGrant,
} from '../../store/playbooks/playbook-trust.repository.js';
import type { AppContext } from '../context.js';
import { connectorValidation } from './connector-validation.js';

/**
 * Sets the actions an admin trusts a playbook to run without the approval their risk class would ask for
 * (`destructive` actions always ask otherwise). Only admins may; every change is audited with what was added
 * and removed, because this is the one way to take a human out of a risky action's loop.
 */
export async function setPlaybookTrust(
  ctx: AppContext,
  by: Principal,
  input: { playbookId: string; actions: readonly string[] },
  actionExists: (action: string) => boolean = connectorValidation().actionExists ?? (() => true),
): Promise<PlaybookTrustGrant[]> {
  assertAllowed(by, 'settings:admin');
  const unknown = input.actions.filter((a) => !actionExists(a));
  if (unknown.length)
    throw invalid(
      `no connector declares ${unknown.join(', ')}`,
      unknown.map((a) => ({ path: 'actions', message: `${a} is not an action of any connector` })),
    );
  const now = ctx.clock.now();
  return ctx.store.db.transaction().execute(async (trx) => {
    if (!(await findPlaybook(trx, input.playbookId))) throw notFound('playbook', input.playbookId);
    const before = (await listPlaybookTrust(trx, input.playbookId)).map((g) => g.action);
    await replacePlaybookTrust(
      trx,
      { playbookId: input.playbookId, actions: input.actions, grantedBy: by.name },
      now,
    );
    const added = input.actions.filter((a) => !before.includes(a));
    const removed = before.filter((a) => !input.actions.includes(a));
    // The same grants again change no trust: nothing to record.
    if (added.length > 0 || removed.length > 0) {
      await appendAudit(
        trx,
        { dialect: ctx.store.dialect },
        {
          actor: actorOf(by),
          action: 'playbook.trust_changed',
          target: { type: 'playbook', id: input.playbookId },
          details: { actions: [...input.actions].sort(), added, removed },
        },
        now,
      );
    }
    return listPlaybookTrust(trx, input.playbookId);
  });
}
