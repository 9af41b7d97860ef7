import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Transaction } from 'kysely';
import { hashSecret } from '../../governance/identity/secret-token.js';
import { z } from 'zod';
import { RiposteError } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/shared/actor.js';
import { resealUnderPrimary, sealSecret, type Keyring } from '../../governance/secrets/secret-box.js';
import { GenericMapperConfig } from '../../ingest/mappers/generic.mapper.js';
import { MAPPER_NAMES } from '../../ingest/mappers/mapper-registry.js';
import {
  deleteIngestSource,
  hmacSecretAad,
  insertIngestSource,
  listSealedHmacSecrets,
  lockIngestSourceRow,
  sourceRowToSource,
  updateIngestSource,
  updateSealedHmacSecret,
  type IngestSource,
  type PreviousCredential,
} from '../../store/alerts/ingest-source.repository.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import type { Database } from '../../store/schema.js';
import type { AppContext } from '../context.js';

export const SourceName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'lower-case letters, digits, "-" and "_", starting with a letter or digit',
  );

/**
 * A source's webhook credentials: a token (`X-Riposte-Token`), an HMAC secret (`X-Riposte-Signature`), or
 * both. Unknown keys are refused (`.strict()`): a misspelt `removeToken` must not answer 200 and leave the
 * token.
 */
export const CreateSourceInput = z
  .object({
    name: SourceName,
    description: z.string().max(500).default(''),
    mapper: z.enum(MAPPER_NAMES).default('auto'),
    mapperConfig: GenericMapperConfig.optional(),
    enabled: z.boolean().default(true),
    /** Make an ingest token (the default); `false` with `hmac: true` makes a source of signed calls only. */
    token: z.boolean().default(true),
    /** Also make an HMAC secret for signed webhooks. */
    hmac: z.boolean().default(false),
    /**
     * Refuse signatures that do not cover `X-Riposte-Timestamp`: a signature of the body alone can be
     * replayed for as long as the secret lives. On for new sources; sources made before it existed have it
     * off (their senders sign the body alone).
     */
    requireTimestamp: z.boolean().default(true),
  })
  .strict();
export type CreateSourceInput = z.infer<typeof CreateSourceInput>;

/** The longest a rotated credential may keep working beside its replacement. */
export const MAX_PREVIOUS_VALID_MS = 7 * 24 * 60 * 60_000;

export const UpdateSourceInput = z
  .object({
    description: z.string().max(500).optional(),
    mapper: z.enum(MAPPER_NAMES).optional(),
    mapperConfig: GenericMapperConfig.nullable().optional(),
    enabled: z.boolean().optional(),
    /** A new token replaces the old one (or is the first), shown once in the answer. */
    rotateToken: z.boolean().optional(),
    /** The token stops working and none replaces it. */
    removeToken: z.boolean().optional(),
    /** A new HMAC secret replaces the old one (or is the first), shown once in the answer. */
    rotateHmacSecret: z.boolean().optional(),
    /** The HMAC secret stops working and none replaces it. */
    removeHmacSecret: z.boolean().optional(),
    requireTimestamp: z.boolean().optional(),
    /**
     * With a rotation: the credential rotated away keeps working for this long beside the new one (at most 7
     * days), so its senders can be moved without a gap. Without it, the old one stops at once, as it must
     * when it leaked; any previous credential still in its grace stops too.
     */
    previousValidForMs: z.number().int().min(1).max(MAX_PREVIOUS_VALID_MS).optional(),
  })
  .strict()
  .refine((input) => !input.previousValidForMs || input.rotateToken || input.rotateHmacSecret, {
    message: 'previousValidForMs goes with rotateToken or rotateHmacSecret',
    path: ['previousValidForMs'],
  })
  .refine((input) => !(input.rotateToken && input.removeToken), {
    message: 'rotateToken and removeToken cannot both be true',
  })
  .refine((input) => !(input.rotateHmacSecret && input.removeHmacSecret), {
    message: 'rotateHmacSecret and removeHmacSecret cannot both be true',
  });
export type UpdateSourceInput = z.infer<typeof UpdateSourceInput>;

/** Credentials are shown once, when made; only the token's hash is kept. */
export interface SourceCredentials {
  token?: string;
  hmacSecret?: string;
}

/** Loads the secrets keyring on first use (see `keyringLoader`). */
export type KeyringSource = () => Keyring;

const sealHmacSecret = (keyring: KeyringSource, name: string, secret: string): string =>
  sealSecret(keyring(), secret, hmacSecretAad(name));
const newToken = (): string => `rpi_${randomBytes(24).toString('base64url')}`;
const newHmacSecret = (): string => randomBytes(32).toString('base64url');

function checkMapperConfig(mapper: string | undefined, config: unknown): void {
  if (mapper === 'generic' && !config) {
    throw new RiposteError('RIPOSTE_VALIDATION', 'the generic mapper needs a mapperConfig', {
      details: [{ path: 'body.mapperConfig', message: 'required when mapper is generic' }],
    });
  }
}

/**
 * A source with neither credential is refused rather than kept with every webhook call a 401: that state
 * looks like an outage of the sending tool, not like a decision, and "stop this source" already has its
 * one way, `enabled: false`, which the list of sources shows.
 */
function checkHasCredential(source: { hasToken: boolean; hasHmacSecret: boolean }): void {
  if (!source.hasToken && !source.hasHmacSecret) {
    throw new RiposteError(
      'RIPOSTE_VALIDATION',
      'a source needs a token or an HMAC secret (or both): to stop its webhook, set enabled to false',
      { details: [{ path: 'body', message: 'no credential would be left' }] },
    );
  }
}

export async function createIngestSource(
  ctx: AppContext,
  input: CreateSourceInput,
  actor: Actor,
  keyring: KeyringSource,
): Promise<{ source: IngestSource; credentials: SourceCredentials }> {
  checkMapperConfig(input.mapper, input.mapperConfig);
  checkHasCredential({ hasToken: input.token, hasHmacSecret: input.hmac });
  const token = input.token ? newToken() : undefined;
  const hmacSecret = input.hmac ? newHmacSecret() : undefined;
  const now = ctx.clock.now();
  const row = await ctx.store.db.transaction().execute(async (trx) => {
    // Inserted unless the name is taken, rather than looked up first: two creations of one name at once
    // would both find nothing, and the second insert would fail with a unique violation (a 500).
    const inserted = await insertIngestSource(
      trx,
      {
        name: input.name,
        description: input.description,
        mapper: input.mapper,
        mapperConfig: input.mapperConfig ?? null,
        enabled: input.enabled,
        tokenHash: token ? hashSecret(token) : null,
        sealedHmacSecret: hmacSecret ? sealHmacSecret(keyring, input.name, hmacSecret) : null,
        requireTimestamp: input.requireTimestamp,
      },
      now,
    );
    if (!inserted) throw new RiposteError('RIPOSTE_CONFLICT', `a source named ${input.name} already exists`);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'ingest_source.created',
        target: { type: 'ingest_source', id: input.name },
        details: {
          mapper: input.mapper,
          token: input.token,
          hmac: input.hmac,
          requireTimestamp: input.requireTimestamp,
        },
      },
      now,
    );
    return inserted;
  });
  return { source: sourceRowToSource(row), credentials: { token, hmacSecret } };
}

/** A credential's change: a new one (rotate), `null` to clear it (remove), or undefined to leave it. */
const changeCredential = (
  make: () => string,
  rotate?: boolean,
  remove?: boolean,
): string | null | undefined => (rotate ? make() : remove ? null : undefined);

export async function updateIngestSourceSettings(
  ctx: AppContext,
  name: string,
  input: UpdateSourceInput,
  actor: Actor,
  keyring: KeyringSource,
): Promise<{ source: IngestSource; credentials: SourceCredentials }> {
  const now = ctx.clock.now();
  const token = changeCredential(newToken, input.rotateToken, input.removeToken);
  const hmacSecret = changeCredential(newHmacSecret, input.rotateHmacSecret, input.removeHmacSecret);
  const grace = input.previousValidForMs;
  /** The credential replaced: kept for the grace asked, else gone now; untouched when not changed. */
  const previous = (changed: string | null | undefined): PreviousCredential | undefined =>
    changed === undefined ? undefined : changed !== null && grace ? { until: now + grace } : null;
  const source = await ctx.store.db.transaction().execute(async (trx) => {
    // The row before the change, for the audit's `from` values; locked, so none slips in before the update.
    const before = await lockIngestSourceRow(trx, name, { lockRow: ctx.store.dialect.supportsRowLocks });
    if (!before) throw new RiposteError('RIPOSTE_NOT_FOUND', `ingest source ${name} does not exist`);
    const updated = await updateIngestSource(
      trx,
      name,
      {
        description: input.description,
        mapper: input.mapper,
        mapperConfig: input.mapperConfig,
        enabled: input.enabled,
        tokenHash: token && hashSecret(token),
        sealedHmacSecret: hmacSecret && sealHmacSecret(keyring, name, hmacSecret),
        requireTimestamp: input.requireTimestamp,
        previousToken: previous(token),
        previousHmacSecret: previous(hmacSecret),
      },
      now,
    );
    if (!updated) throw new RiposteError('RIPOSTE_NOT_FOUND', `ingest source ${name} does not exist`);
    // Checked on the row as updated (over any concurrent change committed first), and refused by rolling
    // back: two PATCHes removing one credential each must not leave a source with none.
    const source = sourceRowToSource(updated);
    checkMapperConfig(source.mapper, source.mapperConfig);
    checkHasCredential(source);
    const details = updateAuditDetails(input, sourceRowToSource(before), source);
    // A PATCH that changed nothing is not a change: the audit log, compliance evidence, does not claim one.
    if (Object.keys(details).length > 0) {
      await appendAudit(
        trx,
        { dialect: ctx.store.dialect },
        {
          actor,
          action: 'ingest_source.updated',
          target: { type: 'ingest_source', id: name },
          details,
        },
        now,
      );
    }
    return source;
  });
  const credentials: SourceCredentials = {
    ...(token ? { token } : {}),
    ...(hmacSecret ? { hmacSecret } : {}),
  };
  return { source, credentials };
}

/** The settings an update records as `{ from, to }`: none of them secret. */
const AUDITED_SETTINGS = ['description', 'mapper', 'mapperConfig', 'enabled', 'requireTimestamp'] as const;

/**
 * What the audit log keeps of an update: each setting it changed, from what to what (so it tells a source
 * enabled from one disabled), and of the credentials only what became of them, never a secret or its hash.
 * A setting given its current value, or a credential removed that was not there (nor in a grace), is left
 * out: empty, the update changed nothing.
 */
function updateAuditDetails(
  input: UpdateSourceInput,
  before: IngestSource,
  after: IngestSource,
): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const field of AUDITED_SETTINGS)
    if (input[field] !== undefined && !isDeepStrictEqual(before[field], after[field]))
      details[field] = { from: before[field], to: after[field] };
  const credential = (rotate: boolean | undefined, remove: boolean | undefined, held: boolean) =>
    rotate ? 'rotated' : remove && held ? 'removed' : undefined;
  const token = credential(
    input.rotateToken,
    input.removeToken,
    before.hasToken || before.previousTokenExpiresAt !== null,
  );
  const hmacSecret = credential(
    input.rotateHmacSecret,
    input.removeHmacSecret,
    before.hasHmacSecret || before.previousHmacSecretExpiresAt !== null,
  );
  if (token) details.token = token;
  if (hmacSecret) details.hmacSecret = hmacSecret;
  if (input.previousValidForMs !== undefined) details.previousValidForMs = input.previousValidForMs;
  return details;
}

/**
 * Re-seals every source's HMAC secret under the ring's primary key, inside the caller's transaction (a key
 * rotation, which re-seals every kind of secret at once). Returns how many were re-sealed.
 */
export async function resealSourceHmacSecrets(
  trx: Transaction<Database>,
  keyring: Keyring,
  options: { lockRows: boolean },
): Promise<number> {
  let count = 0;
  for (const { name, column, sealed } of await listSealedHmacSecrets(trx, options)) {
    const resealed = resealUnderPrimary(
      keyring,
      sealed,
      hmacSecretAad(name),
      `the ${column === 'hmac_secret' ? '' : 'previous '}HMAC secret of ingest source ${name}`,
    );
    if (resealed === undefined) continue;
    await updateSealedHmacSecret(trx, name, column, resealed);
    count++;
  }
  return count;
}

export async function removeIngestSource(ctx: AppContext, name: string, actor: Actor): Promise<void> {
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    const deleted = await deleteIngestSource(trx, name);
    if (!deleted) throw new RiposteError('RIPOSTE_NOT_FOUND', `ingest source ${name} does not exist`);
    // What the source was, from the deleted row itself (RETURNING): no read of its own.
    const was = sourceRowToSource(deleted);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'ingest_source.deleted',
        target: { type: 'ingest_source', id: name },
        details: {
          mapper: was.mapper,
          enabled: was.enabled,
          token: was.hasToken,
          hmac: was.hasHmacSecret,
          requireTimestamp: was.requireTimestamp,
        },
      },
      now,
    );
  });
}
