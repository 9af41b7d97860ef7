import { randomBytes, timingSafeEqual, createHmac } from 'node:crypto';
import type { Transaction } from 'kysely';
import { hashSecret } from '../../governance/identity/secret-token.js';
import { z } from 'zod';
import { verifyWebhookSignature } from '../../connectors/vendors/webhook/webhook-signature.js';
import { RiposteError } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/shared/actor.js';
import {
  openSecret,
  resealUnderPrimary,
  sealSecret,
  type Keyring,
} from '../../governance/secrets/secret-box.js';
import { GenericMapperConfig } from '../../ingest/mappers/generic.mapper.js';
import { MAPPER_NAMES } from '../../ingest/mappers/mapper-registry.js';
import type { IngestSourceRow } from '../../store/alerts/alert.table.js';
import {
  deleteIngestSource,
  findIngestGrant,
  findIngestSourceRow,
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
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'ingest_source.updated',
        target: { type: 'ingest_source', id: name },
        details: updateAuditDetails(input, sourceRowToSource(before), source),
      },
      now,
    );
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
 * What the audit log keeps of an update: each setting given, from what to what (so it tells a source enabled
 * from one disabled), and of the credentials only what became of them, never a secret or its hash.
 */
function updateAuditDetails(
  input: UpdateSourceInput,
  before: IngestSource,
  after: IngestSource,
): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const field of AUDITED_SETTINGS)
    if (input[field] !== undefined) details[field] = { from: before[field], to: after[field] };
  const credential = (rotate?: boolean, remove?: boolean) =>
    rotate ? 'rotated' : remove ? 'removed' : undefined;
  const token = credential(input.rotateToken, input.removeToken);
  const hmacSecret = credential(input.rotateHmacSecret, input.removeHmacSecret);
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

/** How far `X-Riposte-Timestamp` may be from the server's clock, either way (as Slack's and Stripe's). */
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Why a webhook call was refused. Only a caller whose signature is right, who holds the secret, learns more
 * than `refused`: why its timestamp is not accepted (a skewed clock is worth telling apart).
 */
export type WebhookRefusal = 'refused' | 'timestamp_required' | 'timestamp_out_of_range';

/**
 * The credential a webhook call was accepted with, to ask again later whether it still works
 * (`webhookStillAccepted`): the token's hash, or the hash of the HMAC secret that verified (never the secret).
 */
export type WebhookCredential = { kind: 'token'; hash: string } | { kind: 'hmac'; secretHash: string };

/** What a webhook call's credential check found: the source it may send for, or why not. */
export type WebhookCheck =
  | { accepted: true; source: IngestSourceRow; credential: WebhookCredential }
  | { accepted: false; why: WebhookRefusal };

const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/**
 * Checks a webhook call against the source: its ingest token (`X-Riposte-Token`) or an HMAC-SHA256 signature
 * (`X-Riposte-Signature: sha256=<hex>`), compared in constant time. With `X-Riposte-Timestamp` (unix
 * seconds) the signature covers `<timestamp>.<raw body>`, as Riposte's outbound webhooks sign
 * (`signWebhook`), and the timestamp must be within 5 minutes of `now`; without it, the raw body alone,
 * unless the source requires timestamps. A missing, disabled or unknown source is refused the same way as a
 * bad credential, so the answer does not reveal which sources exist.
 */
export function verifyWebhook(
  row: IngestSourceRow | undefined,
  headers: { token?: string; signature?: string; timestamp?: string },
  rawBody: Buffer,
  keyring: KeyringSource,
  now: number,
): WebhookCheck {
  const early = checkWebhookHeaders(row, headers, now);
  if (early !== 'needs_body') return early;
  const refused = (why: WebhookRefusal): WebhookCheck => ({ accepted: false, why });
  const source = row as IngestSourceRow;
  const accepted = (secret: string): WebhookCheck => ({
    accepted: true,
    source,
    credential: { kind: 'hmac', secretHash: hashSecret(secret) },
  });
  const hex = signatureHex(headers.signature as string) as string;
  const secrets = hmacSecretsInForce(source, keyring, now);
  if (!secrets) return refused('refused');
  if (headers.timestamp !== undefined) {
    const timestamp = headers.timestamp;
    const secret = secrets.find((s) => verifyWebhookSignature(s, timestamp, rawBody, `sha256=${hex}`));
    if (secret === undefined) return refused('refused');
    const sentAt = /^\d{1,12}$/.test(headers.timestamp) ? Number(headers.timestamp) * 1000 : undefined;
    const inRange = sentAt !== undefined && Math.abs(now - sentAt) <= SIGNATURE_TOLERANCE_MS;
    return inRange ? accepted(secret) : refused('timestamp_out_of_range');
  }
  // A body that opens as a timestamped message does (`<digits>.`) is not taken as signed alone: its signature
  // may be a timestamped one, captured and replayed without its header to escape the time check (the message
  // `<ts>.<body>` is, byte for byte, the body `<ts>.<body>`). No alert body opens so: JSON with { or [,
  // syslog with <, CEF and LEEF with their names.
  if (/^\d{1,12}\./.test(rawBody.subarray(0, 13).toString('latin1'))) return refused('refused');
  const given = Buffer.from(hex, 'hex');
  const secret = secrets.find((s) => sameBytes(given, createHmac('sha256', s).update(rawBody).digest()));
  if (secret === undefined) return refused('refused');
  return source.require_timestamp === 1 ? refused('timestamp_required') : accepted(secret);
}

/**
 * The source's HMAC secrets that verify signatures at `now`: the current one, and the one rotated away while
 * its grace lasts. Undefined when one does not open (a key missing from the ring): such a source is refused.
 */
function hmacSecretsInForce(
  source: IngestSourceRow,
  keyring: KeyringSource,
  now: number,
): string[] | undefined {
  if (source.hmac_secret === null) return [];
  const sealed = [source.hmac_secret];
  if (source.previous_hmac_secret && now < Number(source.previous_hmac_secret_expires_at))
    sealed.push(source.previous_hmac_secret);
  const secrets = sealed.map((s) => openSecret(keyring(), s, hmacSecretAad(source.name)));
  return secrets.every((s): s is string => typeof s === 'string') ? secrets : undefined;
}

/**
 * Whether a webhook call accepted earlier with `credential` would still be: the source exists and is enabled,
 * and the credential is its current one or the one rotated away while its grace lasts. Asked before each step
 * of a long call, so disabling the source or rotating the credential away (without grace) stops it.
 */
export function webhookStillAccepted(
  row: IngestSourceRow | undefined,
  credential: WebhookCredential,
  keyring: KeyringSource,
  now: number,
): boolean {
  if (!row || row.enabled !== 1) return false;
  if (credential.kind === 'token') {
    const previousValid = row.previous_token_hash !== null && now < Number(row.previous_token_expires_at);
    return (
      row.token_hash === credential.hash || (previousValid && row.previous_token_hash === credential.hash)
    );
  }
  return (hmacSecretsInForce(row, keyring, now) ?? []).some((s) => hashSecret(s) === credential.secretHash);
}

/**
 * What a webhook call's headers decide before its body is read: an unknown or disabled source, no
 * credential, a malformed signature or a wrong token are refused, a right token accepted; a signature needs
 * the body. So a caller without a credential is refused before it can make the server read (and hold) a
 * body of up to the route's limit.
 */
export function checkWebhookHeaders(
  row: IngestSourceRow | undefined,
  headers: { token?: string; signature?: string },
  now: number,
): WebhookCheck | 'needs_body' {
  if (!row || row.enabled !== 1) return { accepted: false, why: 'refused' };
  if (headers.token && row.token_hash) {
    const given = Buffer.from(hashSecret(headers.token), 'hex');
    const previousValid = row.previous_token_hash !== null && now < Number(row.previous_token_expires_at);
    const right =
      sameBytes(given, Buffer.from(row.token_hash, 'hex')) ||
      (previousValid && sameBytes(given, Buffer.from(row.previous_token_hash as string, 'hex')));
    return right
      ? { accepted: true, source: row, credential: { kind: 'token', hash: given.toString('hex') } }
      : { accepted: false, why: 'refused' };
  }
  if (!headers.signature || !row.hmac_secret || !signatureHex(headers.signature))
    return { accepted: false, why: 'refused' };
  return 'needs_body';
}

/** The hex of `sha256=<64 hex digits>`, lower-cased; undefined for anything else. */
const signatureHex = (signature: string): string | undefined =>
  /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim())?.[1]?.toLowerCase();

/** Whom a stream was let in as, asked again before each of its steps (`streamStillAllowed`). */
export interface StreamGrant {
  source: string;
  /** The source had a row when the stream began: deleted since, the stream stops. */
  existed: boolean;
  /** The API token the stream was sent with: revoked or expired since, the stream stops. */
  tokenId?: string | undefined;
}

/**
 * The check a stream runs before each step (`StreamTarget.stillAllowed`): a 403 when its source was disabled
 * (or, having had a row, deleted) or its API token revoked or expired since the stream began. One statement
 * a step, not one an alert.
 */
export function streamStillAllowed(
  ctx: Pick<AppContext, 'store' | 'clock'>,
  grant: StreamGrant,
): () => Promise<void> {
  return async () => {
    const token = grant.tokenId === undefined ? undefined : { id: grant.tokenId, now: ctx.clock.now() };
    const found = await findIngestGrant(ctx.store.db, grant.source, token);
    if (found.enabled === undefined && grant.existed)
      throw new RiposteError('RIPOSTE_FORBIDDEN', `ingest source ${grant.source} was deleted`);
    if (found.enabled !== undefined && found.enabled !== 1)
      throw new RiposteError('RIPOSTE_FORBIDDEN', `ingest source ${grant.source} is disabled`);
    if (found.tokenValid === false)
      throw new RiposteError(
        'RIPOSTE_FORBIDDEN',
        'the API token this stream is sent with was revoked or expired',
      );
  };
}

/**
 * The same check for a webhook call's stream: its source still enabled, and the credential it was accepted
 * with still current or in its grace (`webhookStillAccepted`). One read of the source's row a step.
 */
export function webhookStreamStillAllowed(
  ctx: Pick<AppContext, 'store' | 'clock'>,
  name: string,
  credential: WebhookCredential,
  keyring: KeyringSource,
): () => Promise<void> {
  return async () => {
    const row = await findIngestSourceRow(ctx.store.db, name);
    if (!webhookStillAccepted(row, credential, keyring, ctx.clock.now()))
      throw new RiposteError(
        'RIPOSTE_FORBIDDEN',
        `ingest source ${name} was disabled or deleted, or the credential this call was sent with no longer works`,
      );
  };
}

/** Per store, then per source name: the lookup not yet sent, which callers arriving meanwhile join. */
const unsentLookups = new WeakMap<object, Map<string, Promise<IngestSourceRow | undefined>>>();

/**
 * The source's row as an ingest request reads it, read after this call: requests for one source that arrive
 * together (16 clients answered by one group commit send their next alerts at once; a tool's webhooks in a
 * burst) share one query, sent once the event loop has read them all (`setImmediate`). A lookup already
 * sent is never shared with a later request, so a source disabled or a credential changed before a request
 * arrived refuses it, as a lookup of its own would.
 */
export function readSourceRowForIngest(
  ctx: Pick<AppContext, 'store'>,
  name: string,
): Promise<IngestSourceRow | undefined> {
  let byName = unsentLookups.get(ctx.store);
  if (!byName) {
    byName = new Map();
    unsentLookups.set(ctx.store, byName);
  }
  const waiting = byName.get(name);
  if (waiting) return waiting;
  const names = byName;
  const lookup = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
    names.delete(name);
    return findIngestSourceRow(ctx.store.db, name);
  });
  names.set(name, lookup);
  return lookup;
}
