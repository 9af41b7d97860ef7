import { rangesOverlap } from './cidr.js';
import type { AssetKind, AssetRef } from './asset-ref.js';

/** An asset no automated containment may touch: a CIDR range, a host name, a user, or a domain. */
export interface ProtectedAsset {
  id: string;
  kind: AssetKind;
  /** `10.0.0.0/8`, `dc01.corp.example`, `ceo@example.com`, `example.com` (covers its sub-domains). */
  value: string;
  reason: string;
}

const norm = (value: string): string => value.trim().toLowerCase().replace(/\.$/, '');

function matches(asset: ProtectedAsset, target: AssetRef): boolean {
  if (asset.kind !== target.kind) return false;
  const a = norm(asset.value);
  const t = norm(target.value);
  switch (asset.kind) {
    case 'ip':
      // Blocking a network that contains a protected address blocks that address too.
      return rangesOverlap(a, t);
    case 'domain':
      return t === a || t.endsWith(`.${a}`);
    case 'host':
      // A short name protects its FQDNs and the other way round (dc01 ~ dc01.corp.example).
      return t === a || t.split('.')[0] === a || a.split('.')[0] === t;
    case 'user':
      return t === a || t.split('@')[0] === a;
  }
}

/** The protected assets a set of targets would touch, each with the target it matched. */
export function findProtectedTargets(
  assets: readonly ProtectedAsset[],
  targets: readonly AssetRef[],
): Array<{ asset: ProtectedAsset; target: AssetRef }> {
  const hits: Array<{ asset: ProtectedAsset; target: AssetRef }> = [];
  for (const target of targets) {
    for (const asset of assets) if (matches(asset, target)) hits.push({ asset, target });
  }
  return hits;
}
