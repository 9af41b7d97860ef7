import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { countRecentContainments } from '../../store/connectors/containment.repository.js';
import {
  findOpenBreakers,
  listProtectedAssets,
  openBreaker,
} from '../../store/connectors/safety.repository.js';
import { ConnectorError } from '../action-executor.js';
import { ConnectorErrorCode } from '../framework/connector-errors.js';
import type { AssetRef } from './asset-ref.js';
import { findProtectedTargets } from './protected-assets.js';

/** How much containment automation may do before a person has to look. */
export interface SafetyPolicy {
  windowMs: number;
  /** Most containments one playbook may start in the window. */
  maxPerPlaybook: number;
  /** Most containments through one connector (all playbooks) in the window. */
  maxPerConnector: number;
  /** How long a tripped breaker refuses containment in its scope (a person may reset it sooner). */
  breakerOpenMs: number;
}

export const DEFAULT_SAFETY_POLICY: SafetyPolicy = {
  windowMs: 10 * 60_000,
  maxPerPlaybook: 10,
  maxPerConnector: 25,
  breakerOpenMs: 30 * 60_000,
};

export interface ContainmentCheck {
  action: string;
  connector: string;
  playbookId: string;
  targets: readonly AssetRef[];
}

const refuse = (code: string, message: string): ConnectorError =>
  new ConnectorError(code, message, { retryable: false });

/**
 * Runs before any contain/destructive action: refuses protected targets, open breakers, and a containment
 * beyond the rate limit (which also trips the breaker, so a runaway playbook stops until someone looks).
 */
export async function checkContainmentAllowed(
  db: Kysely<Database>,
  policy: SafetyPolicy,
  check: ContainmentCheck,
  now: number,
): Promise<void> {
  const hits = findProtectedTargets(await listProtectedAssets(db), check.targets);
  const [hit] = hits;
  if (hit) {
    throw refuse(
      ConnectorErrorCode.protectedAsset,
      `${check.action} refused: ${hit.target.kind} ${hit.target.value} is a protected asset (${hit.asset.value}: ${hit.asset.reason}); automation may not contain it`,
    );
  }
  const scopes = [`playbook:${check.playbookId}`, `connector:${check.connector}`];
  const [open] = await findOpenBreakers(db, scopes, now);
  if (open) {
    throw refuse(
      ConnectorErrorCode.circuitOpen,
      `${check.action} refused: containment breaker for ${open.scope} is open until ${new Date(open.openUntil).toISOString()} (${open.reason}); reset it with riposte containment reset-breaker ${open.scope}`,
    );
  }
  const since = now - policy.windowMs;
  const minutes = Math.round(policy.windowMs / 60_000);
  const limits = [
    {
      scope: scopes[0] ?? '',
      count: () => countRecentContainments(db, { playbookId: check.playbookId }, since),
      max: policy.maxPerPlaybook,
    },
    {
      scope: scopes[1] ?? '',
      count: () => countRecentContainments(db, { connector: check.connector }, since),
      max: policy.maxPerConnector,
    },
  ];
  for (const limit of limits) {
    const count = await limit.count();
    if (count >= limit.max) {
      const reason = `${count} containments in ${minutes} min reached the limit of ${limit.max}`;
      await openBreaker(db, {
        scope: limit.scope,
        openedAt: now,
        openUntil: now + policy.breakerOpenMs,
        reason,
      });
      throw refuse(
        ConnectorErrorCode.containmentLimit,
        `${check.action} refused: ${limit.scope} has ${reason}; the breaker is now open and further containment needs a person`,
      );
    }
  }
}
