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
  findIngestSourceRow,
  hmacSecretAad,
  insertIngestSource,
  listSealedHmacSecrets,
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
    const changed = Object.keys(input).filter((k) => input[k as keyof UpdateSourceInput] !== undefined);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'ingest_source.updated',
        target: { type: 'ingest_source', id: name },
        details: { changed },
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

/**
 * Re-seals every source's HMAC secret under the ring's primary key, inside the caller's transaction (a key
 * rotation, which re-seals every kind of secret at once). Returns how many were re-sealed.
 */
export async function resealSourceHmacSecrets(trx: Transaction<Database>, keyring: Keyring): Promise<number> {
  let count = 0;
  for (const { name, column, sealed } of await listSealedHmacSecrets(trx)) {
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
    if (!(await deleteIngestSource(trx, name))) {
      throw new RiposteError('RIPOSTE_NOT_FOUND', `ingest source ${name} does not exist`);
    }
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      { actor, action: 'ingest_source.deleted', target: { type: 'ingest_source', id: name } },
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

/** What a webhook call's credential check found: the source it may send for, or why not. */
export type WebhookCheck =
  { accepted: true; source: IngestSourceRow } | { accepted: false; why: WebhookRefusal };

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
  const accepted: WebhookCheck = { accepted: true, source };
  const hex = signatureHex(headers.signature as string) as string;
  // The current secret, and the one rotated away while its grace lasts.
  const sealed = [source.hmac_secret as string];
  if (source.previous_hmac_secret && now < Number(source.previous_hmac_secret_expires_at))
    sealed.push(source.previous_hmac_secret);
  const secrets = sealed.map((s) => openSecret(keyring(), s, hmacSecretAad(source.name)));
  if (!secrets.every((s): s is string => typeof s === 'string')) return refused('refused');
  if (headers.timestamp !== undefined) {
    const timestamp = headers.timestamp;
    if (!secrets.some((s) => verifyWebhookSignature(s, timestamp, rawBody, `sha256=${hex}`)))
      return refused('refused');
    const sentAt = /^\d{1,12}$/.test(headers.timestamp) ? Number(headers.timestamp) * 1000 : undefined;
    const inRange = sentAt !== undefined && Math.abs(now - sentAt) <= SIGNATURE_TOLERANCE_MS;
    return inRange ? accepted : refused('timestamp_out_of_range');
  }
  // A body that opens as a timestamped message does (`<digits>.`) is not taken as signed alone: its signature
  // may be a timestamped one, captured and replayed without its header to escape the time check (the message
  // `<ts>.<body>` is, byte for byte, the body `<ts>.<body>`). No alert body opens so: JSON with { or [,
  // syslog with <, CEF and LEEF with their names.
  if (/^\d{1,12}\./.test(rawBody.subarray(0, 13).toString('latin1'))) return refused('refused');
  const given = Buffer.from(hex, 'hex');
  if (!secrets.some((s) => sameBytes(given, createHmac('sha256', s).update(rawBody).digest())))
    return refused('refused');
  return source.require_timestamp === 1 ? refused('timestamp_required') : accepted;
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
    return right ? { accepted: true, source: row } : { accepted: false, why: 'refused' };
  }
  if (!headers.signature || !row.hmac_secret || !signatureHex(headers.signature))
    return { accepted: false, why: 'refused' };
  return 'needs_body';
}

/** The hex of `sha256=<64 hex digits>`, lower-cased; undefined for anything else. */
const signatureHex = (signature: string): string | undefined =>
  /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim())?.[1]?.toLowerCase();

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
