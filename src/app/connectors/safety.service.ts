import { z } from 'zod';
import { parseIpRange } from '../../connectors/safety/cidr.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid, notFound } from '../../domain/shared/errors.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import {
  deleteProtectedAsset,
  insertProtectedAsset,
  listBreakers,
  listProtectedAssets,
  ProtectedAssetKinds,
  resetBreaker,
  type OpenBreaker,
  type StoredProtectedAsset,
} from '../../store/connectors/safety.repository.js';
import type { AppContext } from '../context.js';

export const ProtectedAssetInput = z.object({
  kind: z.enum(ProtectedAssetKinds),
  value: z.string().min(1).max(255),
  reason: z.string().min(1).max(500),
});
export type ProtectedAssetInput = z.infer<typeof ProtectedAssetInput>;

/** Protects an asset from automated containment; an IP entry must be an address or a CIDR network. */
export async function protectAsset(
  ctx: AppContext,
  actor: Actor,
  input: ProtectedAssetInput,
): Promise<StoredProtectedAsset> {
  const value = input.value.trim().toLowerCase();
  if (input.kind === 'ip' && !parseIpRange(value)) {
    throw invalid(`${input.value} is not an IP address or CIDR network`, [
      { path: 'value', message: 'expected e.g. 10.0.0.0/8 or 192.0.2.53' },
    ]);
  }
  const asset: StoredProtectedAsset = {
    id: ctx.newId(),
    kind: input.kind,
    value,
    reason: input.reason,
    createdAt: ctx.clock.now(),
  };
  await ctx.store.db.transaction().execute(async (trx) => {
    await insertProtectedAsset(trx, asset);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'protected_asset.added',
        target: { type: 'protected_asset', id: asset.id },
        details: { kind: asset.kind, value, reason: asset.reason },
      },
      asset.createdAt,
    );
  });
  const saved = (await listProtectedAssets(ctx.store.db)).find(
    (a) => a.kind === asset.kind && a.value === value,
  );
  return saved ?? asset;
}

export async function unprotectAsset(ctx: AppContext, actor: Actor, id: string): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await deleteProtectedAsset(trx, id))) throw notFound('protected asset', id);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      { actor, action: 'protected_asset.removed', target: { type: 'protected_asset', id } },
      ctx.clock.now(),
    );
  });
}

export const listProtected = (ctx: AppContext): Promise<StoredProtectedAsset[]> =>
  listProtectedAssets(ctx.store.db);
export const listContainmentBreakers = (ctx: AppContext): Promise<OpenBreaker[]> =>
  listBreakers(ctx.store.db);

/** Closes a tripped containment breaker after a person reviewed what tripped it. */
export async function resetContainmentBreaker(ctx: AppContext, actor: Actor, scope: string): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await resetBreaker(trx, scope))) throw notFound('open containment breaker', scope);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      { actor, action: 'containment.breaker_reset', target: { type: 'breaker', id: scope } },
      ctx.clock.now(),
    );
  });
}
