import { setTimeout as delay } from 'node:timers/promises';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid, RiposteError } from '../../domain/shared/errors.js';
import {
  beginFileRotation,
  finishFileRotation,
  loadKeyring,
} from '../../governance/secrets/master-key-file.js';
import { parseMasterKey, SecretBoxError, type Keyring } from '../../governance/secrets/secret-box.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { resealConnectorSecrets } from '../connectors/connector-instances.service.js';
import type { AppContext } from '../context.js';
import { resealSourceHmacSecrets } from '../ingest/ingest-sources.js';

export interface RotationOutcome {
  keyId: string;
  previousKeyId: string;
  /** Envelopes re-sealed, in all and by kind. */
  resealed: number;
  connectorInstances: number;
  ingestSources: number;
  /**
   * Envelopes the sweep after the settle interval re-sealed (key file only): sealed under the old key by a
   * process that read the key file just before it changed.
   */
  stragglers: number;
  /** `file`: master.key was replaced. `config`: the operator must now set RIPOSTE_MASTER_KEY to the new key. */
  source: 'file' | 'config';
}

/** How long processes still sealing under the old key file get before the last sweep, by default. */
export const DEFAULT_SETTLE_MS = 5_000;

/**
 * Moves every sealed secret to a new master key. With a key file, the new key is written first (the old one
 * kept beside it) and secrets are re-sealed in one transaction; after `settleMs`, a second sweep moves what
 * running processes sealed under the old key meanwhile, then the old key is removed: a crash at any point
 * leaves every secret readable. With a configured key, the new key must be given and then configured.
 */
export async function rotateMasterKey(
  ctx: AppContext,
  actor: Actor,
  options: { newKey?: string; settleMs?: number } = {},
): Promise<RotationOutcome> {
  if (ctx.config.masterKey) {
    if (!options.newKey) {
      throw invalid(
        'the master key comes from RIPOSTE_MASTER_KEY: pass the new key with --new-key, then set the variable to it',
        [{ path: '--new-key', message: 'required when the key is configured' }],
      );
    }
    const current = loadKeyring(ctx.config);
    const primary = parseMasterKey(options.newKey);
    // What the old keys sealed (RIPOSTE_MASTER_KEY_PREVIOUS too) moves to the new one. Given the current key
    // as the new one, this re-seals only what older keys sealed: stragglers of an earlier rotation.
    const previous = [current.primary, ...current.previous].filter((k) => k.id !== primary.id);
    const ring: Keyring = { primary, previous };
    const resealed = await resealAllSecrets(ctx, ring, actor, 'secrets.key_rotated');
    return {
      keyId: ring.primary.id,
      previousKeyId: current.primary.id,
      ...resealed,
      stragglers: 0,
      source: 'config',
    };
  }
  if (options.newKey)
    throw invalid('--new-key is only for keys set in RIPOSTE_MASTER_KEY; the key file gets a generated key');
  const current = loadKeyring(ctx.config);
  // A rotation stopped before it removed master.key.previous: what that key sealed moves to the current key
  // first, since beginning this one replaces it.
  if (current.previous.length > 0) await resealAllSecrets(ctx, current, actor, 'secrets.key_rotated');
  const ring = beginFileRotation(ctx.config.dataDir);
  const resealed = await resealAllSecrets(ctx, ring, actor, 'secrets.key_rotated');
  // A running process checks the key file before it seals, and may commit what it sealed under the old key
  // a moment after this pass read the rows: those stragglers are moved before the old key goes.
  await delay(options.settleMs ?? DEFAULT_SETTLE_MS);
  const swept = await resealAllSecrets(ctx, ring, actor, 'secrets.key_rotation_swept');
  finishFileRotation(ctx.config.dataDir);
  return {
    keyId: ring.primary.id,
    previousKeyId: ring.previous[0]?.id ?? '',
    ...resealed,
    stragglers: swept.resealed,
    source: 'file',
  };
}

/**
 * Re-seals every sealed secret under the ring's primary key, in one transaction: connector instances'
 * credentials and ingest sources' HMAC secrets. Either all move to the new key or none do: one that cannot be
 * opened fails the rotation, and a key file rotation then keeps both keys (`master.key.previous` stays).
 */
async function resealAllSecrets(
  ctx: AppContext,
  keyring: Keyring,
  actor: Actor,
  auditAction: 'secrets.key_rotated' | 'secrets.key_rotation_swept',
): Promise<Pick<RotationOutcome, 'resealed' | 'connectorInstances' | 'ingestSources'>> {
  return ctx.store.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    // Where writers run at once (PostgreSQL), the rows are locked as read: a secret changed between the read
    // and the re-sealed write would be overwritten by the one it replaced (a leaked one, maybe).
    const lockRows = ctx.store.dialect.concurrentWriters;
    let connectorInstances: number;
    let ingestSources: number;
    try {
      connectorInstances = await resealConnectorSecrets(trx, keyring, now, { lockRows });
      ingestSources = await resealSourceHmacSecrets(trx, keyring, { lockRows });
    } catch (err) {
      if (err instanceof SecretBoxError)
        throw new RiposteError('RIPOSTE_UNPROCESSABLE', err.message, { cause: err });
      throw err;
    }
    const resealed = connectorInstances + ingestSources;
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: auditAction,
        target: { type: 'master_key', id: keyring.primary.id },
        details: { resealed, connectorInstances, ingestSources },
      },
      now,
    );
    return { resealed, connectorInstances, ingestSources };
  });
}
