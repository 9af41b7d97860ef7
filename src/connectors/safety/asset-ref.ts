/** Something an action acts on, as the protected-asset check sees it. */
export type AssetKind = 'ip' | 'host' | 'user' | 'domain';

export interface AssetRef {
  kind: AssetKind;
  value: string;
}

export const assetRef = (kind: AssetKind, value: string): AssetRef => ({ kind, value });
