import { randomBytes, timingSafeEqual, createHmac } from 'node:crypto';
import { hashSecret } from '../../governance/identity/secret-token.js';
import { z } from 'zod';
import { RiposteError } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/shared/actor.js';
import { openSecret, sealSecret, type Keyring } from '../../governance/secrets/secret-box.js';
import { GenericMapperConfig } from '../../ingest/mappers/generic.mapper.js';
import { MAPPER_NAMES } from '../../ingest/mappers/mapper-registry.js';
import type { IngestSourceRow } from '../../store/alerts/alert.table.js';
import {
  deleteIngestSource,
  findIngestSourceRow,
  hmacSecretAad,
  insertIngestSource,
  sourceRowToSource,
  updateIngestSource,
  type IngestSource,
} from '../../store/alerts/ingest-source.repository.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import type { AppContext } from '../context.js';

export const SourceName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'lower-case letters, digits, "-" and "_", starting with a letter or digit',
  );

export const CreateSourceInput = z.object({
  name: SourceName,
  description: z.string().max(500).default(''),
  mapper: z.enum(MAPPER_NAMES).default('auto'),
  mapperConfig: GenericMapperConfig.optional(),
  enabled: z.boolean().default(true),
  /** Also make an HMAC secret for signed webhooks. */
  hmac: z.boolean().default(false),
});
export type CreateSourceInput = z.infer<typeof CreateSourceInput>;

export const UpdateSourceInput = z.object({
  description: z.string().max(500).optional(),
  mapper: z.enum(MAPPER_NAMES).optional(),
  mapperConfig: GenericMapperConfig.nullable().optional(),
  enabled: z.boolean().optional(),
  rotateToken: z.boolean().optional(),
  rotateHmacSecret: z.boolean().optional(),
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

function checkMapperConfig(mapper: string | undefined, config: unknown): void {
  if (mapper === 'generic' && !config) {
    throw new RiposteError('RIPOSTE_VALIDATION', 'the generic mapper needs a mapperConfig', {
      details: [{ path: 'body.mapperConfig', message: 'required when mapper is generic' }],
    });
  }
}

export async function createIngestSource(
  ctx: AppContext,
  input: CreateSourceInput,
  actor: Actor,
  keyring: KeyringSource,
): Promise<{ source: IngestSource; credentials: SourceCredentials }> {
  checkMapperConfig(input.mapper, input.mapperConfig);
  const token = newToken();
  const hmacSecret = input.hmac ? randomBytes(32).toString('base64url') : undefined;
  const now = ctx.clock.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    if (await findIngestSourceRow(trx, input.name)) {
      throw new RiposteError('RIPOSTE_CONFLICT', `a source named ${input.name} already exists`);
    }
    await insertIngestSource(
      trx,
      {
        name: input.name,
        description: input.description,
        mapper: input.mapper,
        mapperConfig: input.mapperConfig ?? null,
        enabled: input.enabled,
        tokenHash: hashSecret(token),
        sealedHmacSecret: hmacSecret ? sealHmacSecret(keyring, input.name, hmacSecret) : null,
      },
      now,
    );
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'ingest_source.created',
        target: { type: 'ingest_source', id: input.name },
        details: { mapper: input.mapper, hmac: input.hmac },
      },
      now,
    );
  });
  const row = await findIngestSourceRow(ctx.store.db, input.name);
  return { source: sourceRowToSource(row as IngestSourceRow), credentials: { token, hmacSecret } };
}

export async function updateIngestSourceSettings(
  ctx: AppContext,
  name: string,
  input: UpdateSourceInput,
  actor: Actor,
  keyring: KeyringSource,
): Promise<{ source: IngestSource; credentials: SourceCredentials }> {
  const now = ctx.clock.now();
  const credentials: SourceCredentials = {};
  await ctx.store.db.transaction().execute(async (trx) => {
    const row = await findIngestSourceRow(trx, name);
    if (!row) throw new RiposteError('RIPOSTE_NOT_FOUND', `ingest source ${name} does not exist`);
    checkMapperConfig(
      input.mapper ?? row.mapper,
      input.mapperConfig === undefined ? row.mapper_config : input.mapperConfig,
    );
    if (input.rotateToken) credentials.token = newToken();
    if (input.rotateHmacSecret) credentials.hmacSecret = randomBytes(32).toString('base64url');
    await updateIngestSource(
      trx,
      name,
      {
        description: input.description,
        mapper: input.mapper,
        mapperConfig: input.mapperConfig,
        enabled: input.enabled,
        tokenHash: credentials.token ? hashSecret(credentials.token) : undefined,
        sealedHmacSecret: credentials.hmacSecret
          ? sealHmacSecret(keyring, name, credentials.hmacSecret)
          : undefined,
      },
      now,
    );
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
  });
  const row = await findIngestSourceRow(ctx.store.db, name);
  return { source: sourceRowToSource(row as IngestSourceRow), credentials };
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

const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/**
 * Checks a webhook call against the source: its ingest token (`X-Riposte-Token`) or an HMAC-SHA256 of the
 * raw body (`X-Riposte-Signature: sha256=<hex>`), compared in constant time. A missing, disabled or
 * unknown source fails the same way as a bad credential, so the answer does not reveal which sources exist.
 */
export function verifyWebhook(
  row: IngestSourceRow | undefined,
  headers: { token?: string; signature?: string },
  rawBody: Buffer,
  keyring: KeyringSource,
): boolean {
  if (!row || row.enabled !== 1) return false;
  if (headers.token && row.token_hash) {
    return sameBytes(Buffer.from(hashSecret(headers.token), 'hex'), Buffer.from(row.token_hash, 'hex'));
  }
  if (headers.signature && row.hmac_secret) {
    const m = /^sha256=([0-9a-fA-F]{64})$/.exec(headers.signature.trim());
    if (!m) return false;
    const secret = openSecret(keyring(), row.hmac_secret, hmacSecretAad(row.name));
    if (typeof secret !== 'string') return false;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    return sameBytes(Buffer.from(m[1] ?? '', 'hex'), expected);
  }
  return false;
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
