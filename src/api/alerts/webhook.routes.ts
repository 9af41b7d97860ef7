import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createIngestBatcher } from '../../app/ingest/ingest-batcher.js';
import { ingestLineStream } from '../../app/ingest/ingest-stream.js';
import { contentCodingOf, decodeBody } from './content-coding.js';
import {
  checkWebhookHeaders,
  readSourceRowForIngest,
  SIGNATURE_TOLERANCE_MS,
  verifyWebhook,
  webhookStreamStillAllowed,
  type WebhookRefusal,
} from '../../app/ingest/source-access.js';
import { RiposteError } from '../../domain/shared/errors.js';
import type { IngestSourceRow } from '../../store/alerts/alert.table.js';
import { keyringLoader } from '../../governance/secrets/master-key-file.js';
import { readLines } from '../../ingest/formats/ndjson-lines.js';
import type { RoutePlugin } from '../route-plugin.js';
import { IngestAnswer, NdjsonAnswer } from './alert.schemas.js';
import {
  answerOrProblem,
  jsonItems,
  parseAlertsBody,
  streamAnswerOrProblem,
  unreadableBodyProblem,
} from './ingest-request.js';
import { deliveredFrom } from '../client-address.js';
import { mapperConfigOf } from '../../store/alerts/ingest-source.repository.js';

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** A webhook call's credential headers. */
const credentialsOf = (headers: FastifyRequest['headers']) => ({
  token: header(headers['x-riposte-token']),
  signature: header(headers['x-riposte-signature']),
  timestamp: header(headers['x-riposte-timestamp']),
});

/** The source's row each call's headers were checked against, read once per call. */
const sourceRows = new WeakMap<FastifyRequest, IngestSourceRow | undefined>();

function refuse(request: FastifyRequest, source: string, why: WebhookRefusal): never {
  request.log.warn({ source, why }, 'webhook refused');
  throw new RiposteError('RIPOSTE_UNAUTHENTICATED', REFUSALS[why]);
}

/** What a refused call is told: more than `refused` only if its signature is right (`WebhookRefusal`). */
const REFUSALS: Record<WebhookRefusal, string> = {
  refused: "send the source's X-Riposte-Token or a valid X-Riposte-Signature",
  timestamp_required:
    'this source requires X-Riposte-Timestamp (unix seconds) and a signature over "<timestamp>.<body>"',
  timestamp_out_of_range:
    `X-Riposte-Timestamp must be unix seconds within ${SIGNATURE_TOLERANCE_MS / 60_000} minutes ` +
    "of the server's clock",
};

/**
 * POST /sources/{source}/webhook: what a tool's webhook calls. The route is public to the authoriser and
 * checks the source's own credential (token, or an HMAC over the timestamp and raw body: `verifyWebhook`), so
 * each source can be revoked alone.
 */
export const webhookRoutes: RoutePlugin = async (app, ctx) => {
  // The signature covers the exact bytes sent, so the body is kept raw and parsed only after the check.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // A tool's webhook sends one alert a call, often many at once: they share transactions (group commit).
  const batcher = createIngestBatcher(ctx);
  const keyring = keyringLoader(ctx.config);

  app.post(
    '/sources/:source/webhook',
    {
      config: { access: 'public' },
      // Warnings and errors only, like the other ingest routes: a busy tool calls once per alert.
      logLevel: 'warn',
      schema: {
        tags: ['alerts'],
        summary:
          "A source's webhook: X-Riposte-Token, or a signature (X-Riposte-Timestamp, X-Riposte-Signature)",
        description:
          "Authenticated by the source's token (`X-Riposte-Token`), or by `X-Riposte-Timestamp: <unix " +
          'seconds>` and `X-Riposte-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, the ' +
          "timestamp within 5 minutes of the server's clock. Sources that do not require timestamps also " +
          'take a signature of the raw body alone. A JSON body (one alert or an array of 1 to 10,000) is ' +
          'answered like POST /alerts; NDJSON or text lines (syslog) like POST /alerts/ndjson. Compressed ' +
          'bodies and charsets other than UTF-8 are refused (415).',
        params: z.object({ source: z.string().max(63) }),
        response: { 200: z.union([IngestAnswer, NdjsonAnswer]) },
      },
      // What the headers decide is decided before the body is read: a caller without a credential cannot
      // make the server read and hold a body of up to the route's limit first.
      onRequest: async (request) => {
        const { source } = request.params as { source: string };
        const row = await readSourceRowForIngest(ctx, source);
        const early = checkWebhookHeaders(row, credentialsOf(request.headers), ctx.clock.now());
        if (early !== 'needs_body' && !early.accepted) refuse(request, source, early.why);
        sourceRows.set(request, row);
      },
    },
    async (request, reply) => {
      const name = request.params.source;
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const check = verifyWebhook(
        sourceRows.get(request),
        credentialsOf(request.headers),
        raw,
        keyring,
        ctx.clock.now(),
      );
      if (!check.accepted) refuse(request, name, check.why);
      const row = check.source;
      const unreadable = unreadableBodyProblem(request, reply);
      if (unreadable) throw unreadable;
      // The signature covers the body as sent; what is ingested is what it decompresses to.
      const decoded = decodeBody(
        raw,
        contentCodingOf(request.headers['content-encoding']),
        ctx.config.bodyLimitBytes,
      );
      const actor = { type: 'token' as const, id: `source:${name}`, name: `webhook ${name}` };
      const mapperConfig = mapperConfigOf(row);
      // Media types are case-insensitive (RFC 9110 8.3.1): `Application/JSON` is JSON.
      const type = (request.headers['content-type'] ?? '').toLowerCase();
      if (
        type.startsWith('application/x-ndjson') ||
        type.startsWith('text/plain') ||
        row.mapper === 'syslog'
      ) {
        const summary = await ingestLineStream(
          ctx,
          {
            source: name,
            mapper: row.mapper,
            mapperConfig,
            lines: readLines(Readable.from([decoded]), { maxLineBytes: 1024 * 1024 }),
            format: type.startsWith('application/x-ndjson') ? 'json' : 'auto',
            // Each step asks again: the source still enabled, the credential still current or in its grace.
            stillAllowed: webhookStreamStillAllowed(ctx, name, check.credential, keyring),
            receivedFrom: deliveredFrom(request),
          },
          actor,
        );
        return streamAnswerOrProblem(summary);
      }
      if (!type.startsWith('application/json') && type !== '') {
        throw new RiposteError(
          'RIPOSTE_UNSUPPORTED_MEDIA_TYPE',
          `${type} is not accepted: send application/json, application/x-ndjson or text/plain`,
        );
      }
      const { body, text } = parseAlertsBody(decoded);
      const result = await batcher.submit(
        {
          source: name,
          mapper: row.mapper,
          mapperConfig,
          items: jsonItems(body, text),
          receivedFrom: deliveredFrom(request),
        },
        actor,
      );
      return answerOrProblem(result, (i) => (Array.isArray(body) ? `body[${i}]` : 'body'));
    },
  );
};
