import { Readable } from 'node:stream';
import { z } from 'zod';
import { createIngestBatcher } from '../../app/ingest/ingest-batcher.js';
import { ingestLineStream } from '../../app/ingest/ingest-stream.js';
import { readSourceRowForIngest, verifyWebhook } from '../../app/ingest/ingest-sources.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { keyringLoader } from '../../governance/secrets/master-key-file.js';
import { readLines } from '../../ingest/formats/ndjson-lines.js';
import type { RoutePlugin } from '../route-plugin.js';
import { IngestAnswer } from './alert.schemas.js';
import { answerOrProblem, jsonItems, parseBody, streamAnswerOrProblem } from './ingest-request.js';

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * POST /sources/{source}/webhook: what a tool's webhook calls. The route is public to the authoriser and
 * checks the source's own credential (token or HMAC over the raw body), so each source can be revoked alone.
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
        summary: "A source's webhook: X-Riposte-Token, or X-Riposte-Signature: sha256=<HMAC of the body>",
        params: z.object({ source: z.string().max(63) }),
        response: { 200: IngestAnswer },
      },
    },
    async (request) => {
      const name = request.params.source;
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const row = await readSourceRowForIngest(ctx, name);
      const ok = verifyWebhook(
        row,
        {
          token: header(request.headers['x-riposte-token']),
          signature: header(request.headers['x-riposte-signature']),
        },
        raw,
        keyring,
      );
      if (!ok || !row) {
        request.log.warn({ source: name }, 'webhook refused: bad or missing credential');
        throw new RiposteError(
          'RIPOSTE_UNAUTHENTICATED',
          "send the source's X-Riposte-Token or a valid X-Riposte-Signature",
        );
      }
      const actor = { type: 'token' as const, id: `source:${name}`, name: `webhook ${name}` };
      const mapperConfig = row.mapper_config ? (JSON.parse(row.mapper_config) as unknown) : undefined;
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
            lines: readLines(Readable.from([raw]), { maxLineBytes: 1024 * 1024 }),
            format: type.startsWith('application/x-ndjson') ? 'json' : 'auto',
          },
          actor,
        );
        streamAnswerOrProblem(summary);
        return {
          ...summary,
          items: summary.rejections.map((r) => ({
            index: r.line - 1,
            line: r.line,
            status: 'rejected' as const,
            reason: r.reason,
          })),
        };
      }
      if (!type.startsWith('application/json') && type !== '') {
        throw new RiposteError(
          'RIPOSTE_UNSUPPORTED_MEDIA_TYPE',
          `${type} is not accepted: send application/json, application/x-ndjson or text/plain`,
        );
      }
      const body = parseBody(raw);
      const result = await batcher.submit(
        { source: name, mapper: row.mapper, mapperConfig, items: jsonItems(body) },
        actor,
      );
      return answerOrProblem(result, (i) => (Array.isArray(body) ? `body[${i}]` : 'body'));
    },
  );
};
