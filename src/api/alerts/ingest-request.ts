import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IngestItem, IngestResult } from '../../app/ingest/ingest-alerts.js';
import type { StreamSummary } from '../../app/ingest/ingest-stream.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { arrayElementTexts } from '../../ingest/formats/json-element-texts.js';
import { decodeUtf8, parseJsonText } from '../../ingest/formats/ndjson-lines.js';
import type { ApiContext, ApiInstance } from '../route-plugin.js';
import { readSourceRowForIngest, streamStillAllowed } from '../../app/ingest/source-access.js';
import { AlertsBody } from './alert.schemas.js';
import { ACCEPTED_CODINGS, contentCodingOf, unsupportedCoding } from './content-coding.js';
import { mapperConfigOf } from '../../store/alerts/ingest-source.repository.js';

/** Charsets a body may declare: it is decoded as UTF-8, of which US-ASCII is a subset. */
// `utf8` is how many clients write UTF-8's name (libcurl users, Java's); an empty value names none.
const READABLE_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii', '']);

/**
 * The 415 for a body this server would misread: compressed in a coding it cannot read (gzip, deflate and
 * Brotli are read, see content-coding.ts), or declared in a charset other than UTF-8 (it would be decoded as
 * UTF-8 anyway, silently changing its text). Asked before the body is read, or on a webhook once its
 * credential is checked.
 */
export function unreadableBodyProblem(
  request: FastifyRequest,
  reply: FastifyReply,
): RiposteError | undefined {
  const coding = contentCodingOf(request.headers['content-encoding']);
  if (typeof coding !== 'string') {
    reply.header('accept-encoding', ACCEPTED_CODINGS);
    return unsupportedCoding(coding);
  }
  const type = request.headers['content-type'] ?? '';
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && !READABLE_CHARSETS.has(charset)) {
    return new RiposteError(
      'RIPOSTE_UNSUPPORTED_MEDIA_TYPE',
      `charset ${charset} is not supported: send the body in UTF-8`,
    );
  }
  return undefined;
}

/**
 * Replaces the scope's JSON parser with one that refuses invalid UTF-8 and says where JSON breaks (the
 * default silently substitutes U+FFFD and reports no position).
 */
export function useStrictJsonParser(app: ApiInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      const { value, text } = parseBody(body as Buffer);
      bodyTexts.set(req, text);
      done(null, value);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** The text each request's JSON body was parsed from: its alerts' raw events are cut from it. */
const bodyTexts = new WeakMap<FastifyRequest, string>();

/** The text a request's JSON body was parsed from, by the parser `useStrictJsonParser` installs. */
export const jsonBodyText = (request: FastifyRequest): string | undefined => bodyTexts.get(request);

/** A JSON body's value, and its text (decoded, for the raw events of the alerts it holds). */
export function parseBody(body: Buffer): { value: unknown; text: string } {
  const text = decodeUtf8(body);
  if (text === undefined) {
    throw new RiposteError('RIPOSTE_VALIDATION', 'the body is not valid UTF-8', {
      details: [{ path: 'body', message: 'not valid UTF-8' }],
    });
  }
  if (text.trim() === '')
    throw new RiposteError('RIPOSTE_VALIDATION', 'the body is empty', {
      details: [{ path: 'body', message: 'empty' }],
    });
  const parsed = parseJsonText(text);
  if (!parsed.ok)
    throw new RiposteError('RIPOSTE_VALIDATION', parsed.error, {
      details: [{ path: 'body', message: parsed.error }],
    });
  return { value: parsed.value, text };
}

/**
 * A JSON body of alerts read outside Fastify's validation (a webhook's, kept raw for its signature), checked
 * against the schema of POST /alerts and refused the same way.
 */
export function parseAlertsBody(raw: Buffer): { body: AlertsBody; text: string } {
  const { value, text } = parseBody(raw);
  const checked = AlertsBody.safeParse(value);
  if (checked.success) return { body: checked.data, text };
  const details = checked.error.issues.map((issue) => ({
    path: ['body', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new RiposteError('RIPOSTE_VALIDATION', `${details[0]?.path}: ${details[0]?.message}`, { details });
}

/**
 * The items of a JSON body of alerts. Given the body's text, each keeps its own as its raw event, exactly as
 * sent (parsed and printed again, a 64-bit id would be rounded).
 */
export function jsonItems(body: unknown, text: string | undefined): IngestItem[] {
  if (!Array.isArray(body)) return [{ kind: 'json', value: body, ...(text ? { text: text.trim() } : {}) }];
  const texts = text ? arrayElementTexts(text) : [];
  return body.map((value, k) => ({ kind: 'json' as const, value, ...withText(texts[k]) }));
}

const withText = (text: string | undefined): { text?: string } => (text === undefined ? {} : { text });

/** A source as an ingest request resolved it: its mapper settings, and the check its stream's steps ask. */
export interface ResolvedSource {
  mapper?: string;
  mapperConfig?: unknown;
  /** Asked before each step of a stream (`StreamTarget.stillAllowed`): the same grant, asked again. */
  stillAllowed: () => Promise<void>;
}

/**
 * A named source's mapper settings; refuses sources the caller may not send for, or that are disabled. A
 * token bound to sources sends only for one that exists: deleting its source stops it, as disabling does.
 * Other callers may send for a name without a row (`api`, the default, has none), with the auto mapper.
 */
export async function resolveSource(
  ctx: ApiContext,
  request: FastifyRequest,
  name: string,
): Promise<ResolvedSource> {
  const principal = request.principal;
  const allowed = principal?.sources;
  if (allowed && !allowed.includes(name)) {
    throw new RiposteError('RIPOSTE_FORBIDDEN', `this token may not send alerts for source ${name}`);
  }
  const row = await readSourceRowForIngest(ctx, name);
  if (!row && allowed) throw new RiposteError('RIPOSTE_FORBIDDEN', `ingest source ${name} does not exist`);
  if (row && row.enabled !== 1)
    throw new RiposteError('RIPOSTE_FORBIDDEN', `ingest source ${name} is disabled`);
  const stillAllowed = streamStillAllowed(ctx, {
    source: name,
    existed: row !== undefined,
    // Any API token is asked after (a primary-key lookup in the same statement): a revoked one stops.
    tokenId: principal?.kind === 'token' ? principal.id : undefined,
  });
  if (!row) return { stillAllowed };
  return {
    mapper: row.mapper,
    mapperConfig: mapperConfigOf(row),
    stillAllowed,
  };
}

/** The answer body; when nothing at all was usable, a 422 problem naming each rejected item instead. */
export function answerOrProblem(result: IngestResult, pathOf: (index: number) => string) {
  if (result.items.length > 0 && result.rejected === result.items.length) {
    const details = result.items.slice(0, 100).flatMap((i) =>
      i.status === 'rejected'
        ? [
            {
              path: `${pathOf(i.index)}${i.path ? `.${i.path}` : ''}`,
              ...(i.line !== undefined ? { line: i.line } : {}),
              message: i.reason,
            },
          ]
        : [],
    );
    throw new RiposteError(
      'RIPOSTE_UNPROCESSABLE',
      `no alert could be used: ${details[0]?.message ?? 'rejected'}`,
      { details },
    );
  }
  return {
    accepted: result.accepted,
    duplicates: result.duplicates,
    rejected: result.rejected,
    casesCreated: result.casesCreated,
    cases: result.caseIds.length,
    items: result.items,
  };
}

/**
 * The answer to a streamed (line by line) ingest: the summary, or a 400 when the body held no line at all,
 * or a 422 problem naming each rejected line when none could be used.
 */
export function streamAnswerOrProblem(summary: StreamSummary): StreamSummary {
  if (summary.accepted + summary.duplicates + summary.rejected === 0) {
    throw new RiposteError('RIPOSTE_VALIDATION', 'the body holds no alerts', {
      details: [{ path: 'body', message: 'empty' }],
    });
  }
  if (summary.accepted + summary.duplicates === 0) {
    throw new RiposteError(
      'RIPOSTE_UNPROCESSABLE',
      `no line could be used: line ${summary.rejections[0]?.line}: ${summary.rejections[0]?.reason}`,
      {
        details: summary.rejections
          .slice(0, 100)
          .map((r) => ({ path: r.path ? `body.${r.path}` : 'body', line: r.line, message: r.reason })),
      },
    );
  }
  return summary;
}
