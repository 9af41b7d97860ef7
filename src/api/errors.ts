import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { IngestInterrupted, type IngestResult } from '../app/ingest/ingest-alerts.js';
import { StreamInterrupted } from '../app/ingest/ingest-stream.js';
import { ErrorCatalogue, RiposteError, type ErrorCode, type ProblemDetail } from '../domain/shared/errors.js';

/** The JSON problem body every 4xx and 5xx carries. Clients match on `code`. */
export interface ProblemBody {
  code: ErrorCode;
  message: string;
  details: ProblemDetail[];
  requestId?: string;
  /** A stream that broke part-way: what its committed steps stored, through which line (StreamInterrupted). */
  committed?: {
    accepted: number;
    duplicates: number;
    rejected: number;
    casesCreated: number;
    /** A stream: every line up to this one is stored (or rejected). */
    throughLine?: number;
    /** A JSON body: every item up to this index is stored (or rejected). */
    throughIndex?: number;
  };
}

/** Fastify's own errors (body parsing, limits, content types) mapped onto the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'RIPOSTE_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'RIPOSTE_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'RIPOSTE_VALIDATION',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'RIPOSTE_VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'RIPOSTE_VALIDATION',
  FST_ERR_VALIDATION: 'RIPOSTE_VALIDATION',
  FST_ERR_RATE_LIMITED: 'RIPOSTE_RATE_LIMITED',
};

export function toProblem(error: unknown): { status: number; body: ProblemBody } {
  // Part of an ingest was stored before it broke: what broke it decides the status, and the answer says what
  // was stored and through which line (a stream) or item (a JSON body), so the sender resends only the rest.
  if (error instanceof StreamInterrupted)
    return partlyStored(error.cause, error.committed, { throughLine: error.throughLine }, 'lines 1');
  if (error instanceof IngestInterrupted)
    return partlyStored(error.cause, error.stored, { throughIndex: error.notStoredFrom - 1 }, 'items 0');
  if (error instanceof RiposteError) {
    return {
      status: error.status,
      body: { code: error.code, message: error.message, details: error.details },
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    const details = error.validation.map((v) => ({
      // `/items/3` is `.items.3`; the root (`` or `/`) adds nothing, where it once left `body.`.
      path: [where, ...(v.instancePath ?? '').split('/').filter((part) => part !== '')].join('.'),
      message: v.message ?? 'invalid',
    }));
    const first = details[0];
    return {
      status: 400,
      body: {
        code: 'RIPOSTE_VALIDATION',
        message: first ? `${first.path}: ${first.message}` : `invalid ${where}`,
        details,
      },
    };
  }
  const fe = error as Partial<FastifyError>;
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const code = FASTIFY_CODES[fe.code] as ErrorCode;
    return { status: ErrorCatalogue[code].status, body: { code, message: fe.message ?? code, details: [] } };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode =
      fe.statusCode === 404
        ? 'RIPOSTE_NOT_FOUND'
        : fe.statusCode === 413
          ? 'RIPOSTE_PAYLOAD_TOO_LARGE'
          : 'RIPOSTE_VALIDATION';
    return { status: fe.statusCode, body: { code, message: fe.message ?? 'bad request', details: [] } };
  }
  // The sender went away mid-body: its fault, not the server's (and it hears nothing either way), so it is
  // not logged as a failure of ours.
  if (fe.code === 'ECONNRESET' || fe.message === 'aborted')
    return {
      status: 400,
      body: {
        code: 'RIPOSTE_VALIDATION',
        message: 'the client closed the request before its end',
        details: [],
      },
    };
  // Never a stack trace or an internal message to a client: the log has them, under the request id.
  return {
    status: 500,
    body: {
      code: 'RIPOSTE_INTERNAL',
      message: 'internal error; the server log has the details',
      details: [],
    },
  };
}

function partlyStored(
  cause: unknown,
  stored: Pick<IngestResult, 'accepted' | 'duplicates' | 'rejected' | 'casesCreated'>,
  through: { throughLine: number } | { throughIndex: number },
  from: string,
): { status: number; body: ProblemBody } {
  const { status, body } = toProblem(cause);
  const { accepted, duplicates, rejected, casesCreated } = stored;
  const last = 'throughLine' in through ? through.throughLine : through.throughIndex;
  return {
    status,
    body: {
      ...body,
      message: `${from}-${last} were committed (${accepted} accepted, ${duplicates} duplicates, ${rejected} rejected); the rest was not: ${body.message}`,
      committed: { accepted, duplicates, rejected, casesCreated, ...through },
    },
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  const { status, body } = toProblem(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: body.code, status }, body.message);
  if (error instanceof RiposteError && error.retryAfterMs !== undefined)
    reply.header('retry-after', Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  return reply
    .status(status)
    .type('application/problem+json; charset=utf-8')
    .send({ ...body, requestId: request.id });
}
