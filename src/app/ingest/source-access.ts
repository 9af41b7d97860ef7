/**
 * Who may send alerts for a source, asked at every door: a webhook call's token or HMAC signature (before and
 * after its body is read), and again before each step of a long stream (its source still enabled, its
 * credential or API token still valid). Making and changing sources is ingest-sources.ts's.
 */
import { timingSafeEqual, createHmac } from 'node:crypto';
import { hashSecret } from '../../governance/identity/secret-token.js';
import { verifyWebhookSignature } from '../../connectors/vendors/webhook/webhook-signature.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { openSecret } from '../../governance/secrets/secret-box.js';
import type { IngestSourceRow } from '../../store/alerts/alert.table.js';
import {
  findIngestGrant,
  findIngestSourceRow,
  findIngestSourceRowsByTokenHash,
  hmacSecretAad,
} from '../../store/alerts/ingest-source.repository.js';
import type { AppContext } from '../context.js';
import type { KeyringSource } from './ingest-sources.js';

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
    return tokenMatches(row, given, now)
      ? { accepted: true, source: row, credential: { kind: 'token', hash: given.toString('hex') } }
      : { accepted: false, why: 'refused' };
  }
  if (!headers.signature || !row.hmac_secret || !signatureHex(headers.signature))
    return { accepted: false, why: 'refused' };
  return 'needs_body';
}

/**
 * Whether a token's hash (`given`) is the source's token, or the one rotated away while its grace lasts,
 * compared in constant time.
 */
function tokenMatches(row: IngestSourceRow, given: Buffer, now: number): boolean {
  if (row.token_hash === null) return false;
  const previousValid = row.previous_token_hash !== null && now < Number(row.previous_token_expires_at);
  return (
    sameBytes(given, Buffer.from(row.token_hash, 'hex')) ||
    (previousValid && sameBytes(given, Buffer.from(row.previous_token_hash as string, 'hex')))
  );
}

/** What a bare source token (a Splunk HEC client's, which names no source) was found to be. */
export type SourceTokenCheck =
  | { accepted: true; source: IngestSourceRow; credential: WebhookCredential & { kind: 'token' } }
  /** `unknown`: no source has it (or its grace ended); `disabled`: its source is disabled. */
  | { accepted: false; why: 'unknown' | 'disabled' };

/**
 * Finds the source a token belongs to, by its hash: the source's current token, or the one rotated away
 * while its grace lasts (as on webhooks). A disabled source is told apart from an unknown token: only a
 * holder of the right token learns it, and a sender is better told its token was disabled than that it is
 * wrong. Streams ask again before each step with `webhookStreamStillAllowed` and the credential returned.
 */
export async function checkSourceToken(
  ctx: Pick<AppContext, 'store' | 'clock'>,
  token: string,
): Promise<SourceTokenCheck> {
  const hash = hashSecret(token);
  const given = Buffer.from(hash, 'hex');
  const now = ctx.clock.now();
  const rows = await findIngestSourceRowsByTokenHash(ctx.store.db, hash);
  const matching = rows.filter((row) => tokenMatches(row, given, now));
  const source = matching.find((row) => row.enabled === 1);
  if (source) return { accepted: true, source, credential: { kind: 'token', hash } };
  return { accepted: false, why: matching.length > 0 ? 'disabled' : 'unknown' };
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
