import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { ingestLineStream, storeInSteps, type StreamTarget } from '../../app/ingest/ingest-stream.js';
import type { KeyringSource } from '../../app/ingest/ingest-sources.js';
import { lineToItems } from '../../app/ingest/line-items.js';
import { mapItem, type IngestItem } from '../../app/ingest/map-item.js';
import {
  checkSourceToken,
  webhookStreamStillAllowed,
  type WebhookCredential,
} from '../../app/ingest/source-access.js';
import type { Actor } from '../../domain/shared/actor.js';
import { keyringLoader } from '../../governance/secrets/master-key-file.js';
import { decodeUtf8, parseJsonText, readLines } from '../../ingest/formats/ndjson-lines.js';
import type { IngestSourceRow } from '../../store/alerts/alert.table.js';
import type { ApiContext, RoutePlugin } from '../route-plugin.js';
import { decodeRequestBody } from './content-coding.js';
import { HecCode, HecError, hecAnswer, hecSuccess, sendHecError } from './hec-answers.js';
import { readHecEnvelopes, type HecEnvelope, type HecEnvelopeProblem } from './hec-envelopes.js';
import { unreadableBodyProblem } from './ingest-request.js';
import { deliveredFrom } from '../client-address.js';
import { mapperConfigOf } from '../../store/alerts/ingest-source.repository.js';

/** Splunk's paths, served at the server's root as HEC clients call them. */
const EVENT_PATHS = ['/services/collector', '/services/collector/event', '/services/collector/event/1.0'];
const RAW_PATHS = ['/services/collector/raw', '/services/collector/raw/1.0'];
const HEALTH_PATHS = ['/services/collector/health', '/services/collector/health/1.0'];
const ACK_PATHS = ['/services/collector/ack', '/services/collector/ack/1.0'];

/** Ack ids kept per channel, and channels kept (see `ackIdFor`). */
const ACKS_KEPT_PER_CHANNEL = 10_000;
const ACK_CHANNELS_KEPT = 1_000;

/** Longest raw line accepted, as on NDJSON; a longer one is rejected alone. */
const MAX_LINE_BYTES = 1024 * 1024;

/** The source a HEC request's token belongs to, and the credential its stream asks about again. */
interface HecGrant {
  source: IngestSourceRow;
  credential: WebhookCredential;
}

/**
 * The token of `Authorization: Splunk <token>` (HEC's scheme; `Bearer` too). A token in the query string
 * (`?token=`) is refused as Splunk refuses it unless enabled per token: a URL is written to proxies' and
 * servers' access logs.
 */
function tokenOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) {
    const query = request.query as Record<string, unknown> | undefined;
    throw new HecError(query?.token === undefined ? HecCode.tokenRequired : HecCode.queryStringAuthorization);
  }
  const token = /^(?:Splunk|Bearer)\s+(\S+)\s*$/i.exec(header)?.[1];
  if (token === undefined) throw new HecError(HecCode.invalidAuthorization);
  return token;
}

/** The items an envelope's event holds: an object for the mapper; a string as a text line (or JSON text). */
function eventItems(envelope: HecEnvelope): IngestItem[] {
  if (typeof envelope.event !== 'string') return [{ kind: 'json', value: envelope.event }];
  return lineToItems({ line: envelope.index + 1, text: envelope.event }, 'auto');
}

/**
 * Splunk HTTP Event Collector: `POST /services/collector/event` (JSON envelopes) and `/raw` (text lines),
 * authenticated by an ingest source's token (`Authorization: Splunk <token>`), and `GET …/health`. Each
 * request is stored in the bounded steps of a stream and answered once they committed; each step asks again
 * whether the token still works (its source enabled, the token current or in its grace).
 */
export const hecRoutes: RoutePlugin = async (app, ctx) => {
  // Every body is read whole (up to the body limit, counted decompressed) and parsed here: HEC clients send
  // JSON as any type (curl's form type, text/plain, none).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('preParsing', decodeRequestBody);
  app.setErrorHandler((error, request, reply) => sendHecError(reply, request, error));
  const keyring = keyringLoader(ctx.config);
  const grants = new WeakMap<FastifyRequest, HecGrant>();

  /** Before the body is read: a request without a right token costs no body read. */
  const admit = async (request: FastifyRequest, reply: Parameters<typeof unreadableBodyProblem>[1]) => {
    if (ctx.lifecycle.draining) throw new HecError(HecCode.serverBusy);
    const check = await checkSourceToken(ctx, tokenOf(request));
    if (!check.accepted)
      throw new HecError(check.why === 'disabled' ? HecCode.tokenDisabled : HecCode.invalidToken);
    const unreadable = unreadableBodyProblem(request, reply);
    if (unreadable) throw unreadable;
    grants.set(request, { source: check.source, credential: check.credential });
  };

  const routeOptions = (summary: string, description: string) => ({
    // The source's token is the credential, checked by `admit`: public to the role authoriser, as webhooks.
    config: { access: 'public' as const, takesNul: true },
    // Warnings and errors only, like the other ingest routes.
    logLevel: 'warn' as const,
    onRequest: admit,
    schema: { tags: ['alerts'], summary, description },
  });

  for (const path of EVENT_PATHS)
    app.post(
      path,
      routeOptions(
        'Splunk HEC: JSON event envelopes, one alert each',
        '`Authorization: Splunk <source token>`. The body is JSON envelopes one after another ' +
          '(`{"time", "host", "source", "sourcetype", "fields", "event"}`); each `event` is an alert ' +
          "(an object for the source's mapper, a string for a syslog, CEF, LEEF or JSON line), its raw " +
          'event the whole envelope. Answered `{"text":"Success","code":0}` once stored; at the first ' +
          'envelope that is not one, the events before it are stored and the answer is code 6, 12 or 13 ' +
          'with `invalid-event-number`.',
      ),
      async (request) => {
        const grant = grants.get(request) as HecGrant;
        const text = bodyText(request);
        let stopped: HecEnvelopeProblem | undefined;
        let events = 0;
        const summary = await storeInSteps(
          ctx,
          target(ctx, request, grant, keyring),
          actorOf(grant),
          undefined,
          async (writer) => {
            for (const read of readHecEnvelopes(text)) {
              if ('code' in read) {
                stopped = read;
                return;
              }
              events += 1;
              const options = writer.stepOptions();
              const items = eventItems(read);
              for (const [k, item] of items.entries()) {
                // The envelope's time is the alert's when its event gives none; its raw event, the envelope.
                const mapped = mapItem(item, { ...options, now: read.timeMs ?? options.now });
                await writer.add(
                  {
                    line: read.index + 1,
                    mapped: mapped.ok
                      ? { ...mapped, alert: { ...mapped.alert, raw: read.value }, rawText: read.text }
                      : mapped,
                  },
                  k === items.length - 1,
                );
              }
            }
          },
        );
        const problem = stopped as HecEnvelopeProblem | undefined;
        if (problem)
          throw new HecError(problem.code, {
            'invalid-event-number': problem.index,
            detail: problem.reason,
            accepted: summary.accepted,
            duplicates: summary.duplicates,
            rejected: summary.rejected,
          });
        if (events === 0) throw new HecError(HecCode.noData);
        return { ...answerSummary(summary), ...ackIdFor(request) };
      },
    );

  for (const path of RAW_PATHS)
    app.post(
      path,
      routeOptions(
        'Splunk HEC: raw text, one alert a line',
        '`Authorization: Splunk <source token>`. Each line is an alert (syslog, CEF, LEEF or JSON), as a ' +
          'webhook\'s text lines are. Answered `{"text":"Success","code":0}` once stored.',
      ),
      async (request) => {
        const grant = grants.get(request) as HecGrant;
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const summary = await ingestLineStream(
          ctx,
          {
            ...target(ctx, request, grant, keyring),
            lines: readLines(Readable.from([body]), { maxLineBytes: MAX_LINE_BYTES }),
            format: 'auto',
          },
          actorOf(grant),
        );
        if (summary.accepted + summary.duplicates + summary.rejected === 0)
          throw new HecError(HecCode.noData);
        return { ...answerSummary(summary), ...ackIdFor(request) };
      },
    );

  /**
   * Indexer acknowledgement, which AWS Firehose requires and Vector uses when offered: a request sent on a
   * channel (`X-Splunk-Request-Channel`) is given an `ackId`, kept per source and channel, and an id given
   * there is acknowledged when asked, since a Success is only answered once its events committed (Splunk
   * answers before indexing, hence its acks); an id never given on that channel is not. This process's ids:
   * a sender whose acks reach another process (or this one restarted) hears false, and sends again, which
   * de-duplication absorbs.
   */
  let nextAckId = 0;
  const givenAcks = new Map<string, Set<number>>();
  const channelOf = (request: FastifyRequest): string | undefined => {
    const channel = request.headers['x-splunk-request-channel'];
    const grant = grants.get(request);
    return typeof channel === 'string' && grant ? `${grant.source.name}\u0000${channel}` : undefined;
  };
  const ackIdFor = (request: FastifyRequest): { ackId?: number } => {
    const channel = channelOf(request);
    if (channel === undefined) return {};
    const ackId = nextAckId++;
    let ids = givenAcks.get(channel);
    if (!ids) {
      // Bounded: the oldest channel goes first, and a channel's oldest ids (long since asked about).
      if (givenAcks.size >= ACK_CHANNELS_KEPT) givenAcks.delete(givenAcks.keys().next().value as string);
      ids = new Set();
      givenAcks.set(channel, ids);
    }
    ids.add(ackId);
    if (ids.size > ACKS_KEPT_PER_CHANNEL) ids.delete(ids.values().next().value as number);
    return { ackId };
  };

  for (const path of ACK_PATHS)
    app.post(
      path,
      routeOptions(
        'Splunk HEC indexer acknowledgement: every ackId answered was committed',
        '`{"acks": [0, 1, …]}` is answered `{"acks": {"0": true, "1": false, …}}`: Riposte answers a request ' +
          'only once its events are committed, so each ackId it gave on the channel is acknowledged; one it ' +
          'did not give there is not.',
      ),
      async (request) => {
        const ids = (parsedJson(bodyText(request)) as { acks?: unknown } | undefined)?.acks;
        if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && (id as number) >= 0))
          throw new HecError(HecCode.invalidDataFormat, {
            detail: 'send {"acks": [<ackId>, …]}, ackIds being the numbers of earlier answers',
          });
        const given = givenAcks.get(channelOf(request) ?? '');
        return { acks: Object.fromEntries(ids.map((id) => [String(id), given?.has(id as number) ?? false])) };
      },
    );

  for (const path of HEALTH_PATHS)
    app.get(
      path,
      {
        config: { access: 'public' },
        schema: { tags: ['alerts'], summary: 'Splunk HEC health: 200 code 17, or 503 code 18 when stopping' },
      },
      async (_request, reply) => {
        const { status, body } = hecAnswer(ctx.lifecycle.draining ? HecCode.unhealthy : HecCode.healthy);
        return reply.status(status).send(body);
      },
    );

  /** The body as text: HEC bodies are UTF-8. */
  function bodyText(request: FastifyRequest): string {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const text = decodeUtf8(body);
    if (text === undefined)
      throw new HecError(HecCode.invalidDataFormat, { detail: 'the body is not valid UTF-8' });
    return text;
  }
};

/** A JSON body's value, or undefined when it is not JSON. */
function parsedJson(text: string): unknown {
  const parsed = parseJsonText(text);
  return parsed.ok ? parsed.value : undefined;
}

/** Where a request's alerts go: its token's source, mapped as that source says. */
function target(
  ctx: ApiContext,
  request: FastifyRequest,
  grant: HecGrant,
  keyring: KeyringSource,
): StreamTarget {
  const { source, credential } = grant;
  return {
    source: source.name,
    mapper: source.mapper,
    mapperConfig: mapperConfigOf(source),
    // Each step asks again: the source still enabled, the token still current or in its grace.
    stillAllowed: webhookStreamStillAllowed(ctx, source.name, credential, keyring),
    receivedFrom: deliveredFrom(request),
  };
}

const actorOf = (grant: HecGrant): Actor => ({
  type: 'token',
  id: `source:${grant.source.name}`,
  name: `hec ${grant.source.name}`,
});

/**
 * Success, or, when no event could be used (each refused by the mapper), code 6 naming the first: as the
 * other ingest routes answer a body of which nothing was usable with an error, not a success.
 */
function answerSummary(summary: Parameters<typeof hecSuccess>[0]) {
  if (summary.accepted + summary.duplicates > 0) return hecSuccess(summary);
  const first = summary.rejections[0];
  throw new HecError(HecCode.invalidDataFormat, {
    ...(first ? { 'invalid-event-number': first.line - 1, detail: first.reason } : {}),
    rejected: summary.rejected,
  });
}
