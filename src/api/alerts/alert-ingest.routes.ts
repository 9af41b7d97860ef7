import type { Readable } from 'node:stream';
import { z } from 'zod';
import { createIngestBatcher } from '../../app/ingest/ingest-batcher.js';
import { ingestLineStream } from '../../app/ingest/ingest-stream.js';
import { readSourceRowForIngest } from '../../app/ingest/source-access.js';
import type { IngestItem } from '../../app/ingest/map-item.js';
import { MAX_PREVIEW_ALERTS, previewAlerts } from '../../app/ingest/preview-alerts.js';
import { RiposteError } from '../../domain/shared/errors.js';
import { rolesAllow } from '../../governance/permissions.js';
import { actorOf } from '../../governance/principal.js';
import { readLines } from '../../ingest/formats/ndjson-lines.js';
import { MAPPER_NAMES } from '../../ingest/mappers/mapper-registry.js';
import { listCaseSummaries } from '../../store/cases/case-query.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import { AlertsBody, IngestAnswer, NdjsonAnswer, PreviewAnswer, PreviewBody } from './alert.schemas.js';
import {
  answerOrProblem,
  jsonBodyText,
  jsonItems,
  resolveSource,
  streamAnswerOrProblem,
  unreadableBodyProblem,
  useStrictJsonParser,
} from './ingest-request.js';
import { decodeRequestBody } from './content-coding.js';
import { deliveredFrom } from '../client-address.js';
import { mapperConfigOf } from '../../store/alerts/ingest-source.repository.js';

const IngestQuery = z.object({
  source: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
    .default('api'),
  mapper: z.enum(MAPPER_NAMES).optional(),
});

/**
 * Ingest routes log warnings and errors only: two access-log lines a request cost as much as storing a
 * small alert. What was accepted or rejected is in the answer and the audit log.
 */
const INGEST_LOG_LEVEL = 'warn';

/** Longest NDJSON line accepted; a longer one is rejected alone. */
const MAX_LINE_BYTES = 1024 * 1024;

/** POST /alerts (one alert or an array) and POST /alerts/ndjson (a streamed batch of any size). */
export const alertIngestRoutes: RoutePlugin = async (app, ctx) => {
  useStrictJsonParser(app);
  // Concurrent requests for one source share a transaction (group commit); each gets its own answer.
  const batcher = createIngestBatcher(ctx);
  // The NDJSON route reads the request stream itself, a line at a time; nothing buffers the whole body.
  app.addContentTypeParser('application/x-ndjson', (_req, payload, done) => done(null, payload));
  // Compressed bodies are read decompressed, by both.
  app.addHook('preParsing', decodeRequestBody);

  app.post(
    '/alerts',
    {
      config: { access: 'alerts:ingest', takesNul: true },
      logLevel: INGEST_LOG_LEVEL,
      // Alerts are JSON: a text/plain body (which Fastify would parse as a string) is a 415, not a bad alert.
      onRequest: (request, reply, done) => {
        const json = request.headers['content-type']?.toLowerCase().startsWith('application/json');
        done(
          unreadableBodyProblem(request, reply) ??
            (json
              ? undefined
              : new RiposteError('RIPOSTE_UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json')),
        );
      },
      schema: {
        tags: ['alerts'],
        summary: 'Ingest one alert or an array of alerts (any supported tool format)',
        querystring: IngestQuery,
        body: AlertsBody,
        response: { 200: IngestAnswer },
      },
    },
    async (request) => {
      const source = await resolveSource(ctx, request, request.query.source);
      const result = await batcher.submit(
        {
          source: request.query.source,
          mapper: request.query.mapper ?? source.mapper,
          mapperConfig: source.mapperConfig,
          items: jsonItems(request.body, jsonBodyText(request)),
          receivedFrom: deliveredFrom(request),
        },
        actorOf(principalOf(request)),
      );
      return answerOrProblem(result, (i) => (Array.isArray(request.body) ? `body[${i}]` : 'body'));
    },
  );

  app.post(
    '/alerts/ndjson',
    {
      config: { access: 'alerts:ingest' },
      logLevel: INGEST_LOG_LEVEL,
      schema: {
        tags: ['alerts'],
        summary: 'Ingest newline-delimited JSON alerts, streamed and committed in bounded batches',
        querystring: IngestQuery,
        response: { 200: NdjsonAnswer },
      },
      // Checked before any body parser runs, so a JSON body sent here is a 415, not a JSON syntax error.
      onRequest: async (request, reply) => {
        const unreadable = unreadableBodyProblem(request, reply);
        if (unreadable) throw unreadable;
        if (!request.headers['content-type']?.toLowerCase().startsWith('application/x-ndjson')) {
          throw new RiposteError('RIPOSTE_UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/x-ndjson');
        }
      },
    },
    async (request) => {
      const source = await resolveSource(ctx, request, request.query.source);
      const summary = await ingestLineStream(
        ctx,
        {
          source: request.query.source,
          mapper: request.query.mapper ?? source.mapper,
          mapperConfig: source.mapperConfig,
          lines: readLines(request.body as Readable, { maxLineBytes: MAX_LINE_BYTES }),
          format: 'json',
          stillAllowed: source.stillAllowed,
          receivedFrom: deliveredFrom(request),
        },
        actorOf(principalOf(request)),
      );
      return streamAnswerOrProblem(summary);
    },
  );

  app.post(
    '/alerts/preview',
    {
      config: { access: 'alerts:ingest', takesNul: true },
      // A coding or charset it cannot read is a 415, as on the other ingest routes, before the body is read.
      onRequest: async (request, reply) => {
        const unreadable = unreadableBodyProblem(request, reply);
        if (unreadable) throw unreadable;
      },
      schema: {
        tags: ['alerts'],
        summary: 'Preview what ingest would do with alerts, storing nothing',
        description:
          "Maps each alert (a JSON object, or a syslog, CEF or LEEF line as a string) with the source's " +
          'mapper, or with `mapper` and `mapperConfig` when given (to try a generic mapping before saving ' +
          'it), and decides it against the store as it stands, under the ingest rules in force: rejected ' +
          '(why, where), a duplicate (of which alert), or accepted, joining a case (which, and why) or ' +
          `opening one. Then everything is rolled back. At most ${MAX_PREVIEW_ALERTS} alerts; they see ` +
          'each other, as the alerts of one request do.',
        body: PreviewBody,
        response: { 200: PreviewAnswer },
      },
    },
    async (request) => {
      const body = request.body;
      const principal = principalOf(request);
      if (principal.sources && !principal.sources.includes(body.source))
        throw new RiposteError(
          'RIPOSTE_FORBIDDEN',
          `this token may not send alerts for source ${body.source}`,
        );
      // A disabled source may be previewed: that is how one is tried before it is turned on.
      const row = await readSourceRowForIngest(ctx, body.source);
      const preview = await previewAlerts(
        ctx,
        {
          source: body.source,
          mapper: body.mapper ?? row?.mapper,
          mapperConfig: body.mapperConfig ?? (row ? mapperConfigOf(row) : undefined),
          items: body.alerts.map((value): IngestItem =>
            typeof value === 'string' ? { kind: 'text', value } : { kind: 'json', value },
          ),
        },
        actorOf(principal),
      );
      if (!rolesAllow(principal.roles, 'cases:read')) return preview;
      // The cases that exist (not those the preview would open), for a caller who may read them.
      const caseIds = preview.items.flatMap((i) =>
        i.status === 'accepted' && i.correlation.caseId
          ? [i.correlation.caseId]
          : i.status === 'duplicate' && i.caseId
            ? [i.caseId]
            : [],
      );
      const cases = new Map((await listCaseSummaries(ctx.store.db, caseIds)).map((c) => [c.id, c]));
      return {
        ...preview,
        items: preview.items.map((i) => {
          const id =
            i.status === 'accepted' ? i.correlation.caseId : i.status === 'duplicate' ? i.caseId : undefined;
          const kase = id ? cases.get(id) : undefined;
          return kase ? { ...i, case: kase } : i;
        }),
      };
    },
  );
};
