import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StreamSummary } from '../../app/ingest/ingest-stream.js';
import { RiposteError, type ErrorCode } from '../../domain/shared/errors.js';
import { toProblem } from '../errors.js';

/**
 * Splunk HEC's answers (`{"text", "code"}`), which HEC clients read: the status decides whether they retry
 * (5xx and 503 "Server is busy"), the code says why. Texts and statuses are Splunk's.
 */
export const HecCode = {
  success: 0,
  tokenDisabled: 1,
  tokenRequired: 2,
  invalidAuthorization: 3,
  invalidToken: 4,
  noData: 5,
  invalidDataFormat: 6,
  internalError: 8,
  serverBusy: 9,
  eventRequired: 12,
  eventBlank: 13,
  queryStringAuthorization: 16,
  healthy: 17,
  unhealthy: 18,
} as const;
export type HecCode = (typeof HecCode)[keyof typeof HecCode];

const ANSWERS: Record<HecCode, { text: string; status: number }> = {
  0: { text: 'Success', status: 200 },
  1: { text: 'Token disabled', status: 403 },
  2: { text: 'Token is required', status: 401 },
  3: { text: 'Invalid authorization', status: 401 },
  4: { text: 'Invalid token', status: 403 },
  5: { text: 'No data', status: 400 },
  6: { text: 'Invalid data format', status: 400 },
  8: { text: 'Internal server error', status: 500 },
  9: { text: 'Server is busy', status: 503 },
  12: { text: 'Event field is required', status: 400 },
  13: { text: 'Event field cannot be blank', status: 400 },
  16: { text: 'Query string authorization is not enabled', status: 400 },
  17: { text: 'HEC is healthy', status: 200 },
  18: { text: 'HEC is unhealthy, queues are full', status: 503 },
};

/** The catalogue code of a HEC status, so refusals are recorded (audit) as the other routes' are. */
const RIPOSTE_CODES: Record<number, ErrorCode> = {
  400: 'RIPOSTE_VALIDATION',
  401: 'RIPOSTE_UNAUTHENTICATED',
  403: 'RIPOSTE_FORBIDDEN',
  500: 'RIPOSTE_INTERNAL',
  503: 'RIPOSTE_UNAVAILABLE',
};

/** What a HEC answer carries beside `text` and `code`. */
export interface HecExtra {
  /** The event refused (from 0): those before it were stored, it and the rest not (Splunk's meaning). */
  'invalid-event-number'?: number;
  /** Riposte's reason, for a person reading the sender's log. */
  detail?: string;
  /** Counts of what the events before the refused one stored. */
  accepted?: number;
  duplicates?: number;
  rejected?: number;
}

/** An error answered in HEC's shape; a RiposteError, so a refusal is recorded as any route's is. */
export class HecError extends RiposteError {
  constructor(
    readonly hecCode: HecCode,
    readonly extra: HecExtra = {},
  ) {
    const { text, status } = ANSWERS[hecCode];
    super(RIPOSTE_CODES[status] ?? 'RIPOSTE_VALIDATION', extra.detail ? `${text}: ${extra.detail}` : text);
    this.name = 'HecError';
  }
}

/** A HEC answer's status and body. */
export const hecAnswer = (code: HecCode, extra: HecExtra = {}) => ({
  status: ANSWERS[code].status,
  body: { text: ANSWERS[code].text, code, ...extra },
});

/**
 * What a committed request is told: `Success`, with what became of its events (an event the mapper
 * refused is refused alone, named by its number), which HEC clients ignore and a person can read.
 */
export function hecSuccess(summary: StreamSummary) {
  return {
    ...hecAnswer(HecCode.success).body,
    accepted: summary.accepted,
    duplicates: summary.duplicates,
    rejected: summary.rejected,
    rejections: summary.rejections.map((r) => ({ event: r.line - 1, reason: r.reason })),
    rejectionsTruncated: summary.rejectionsTruncated,
  };
}

/** HEC's code for an error that is not one of its own, by its status. */
const codeForStatus = (status: number): HecCode =>
  status === 503 ? HecCode.serverBusy : status >= 500 ? HecCode.internalError : HecCode.invalidDataFormat;

/**
 * The error handler of the HEC routes: every failure in HEC's shape, its status kept (a body too large
 * stays 413, a stream whose token was rotated away mid-way 403), with what was committed before it broke.
 * Logged as the other routes are: 5xx at error, refusals at warn, the rest at info.
 */
export function sendHecError(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  let answer: { status: number; body: Record<string, unknown> };
  if (error instanceof HecError) answer = hecAnswer(error.hecCode, error.extra);
  else {
    const problem = toProblem(error);
    const code = problem.status === 403 ? HecCode.invalidToken : codeForStatus(problem.status);
    answer = {
      status: problem.status,
      body: {
        ...hecAnswer(code).body,
        detail: problem.body.message,
        ...(problem.body.committed ? { committed: problem.body.committed } : {}),
      },
    };
  }
  if (answer.status >= 500) request.log.error({ err: error }, 'HEC request failed');
  else if (answer.status === 401 || answer.status === 403)
    request.log.warn({ hecCode: answer.body.code, status: answer.status }, 'HEC request refused');
  else request.log.info({ hecCode: answer.body.code, status: answer.status }, 'HEC request refused');
  return reply.status(answer.status).type('application/json; charset=utf-8').send(answer.body);
}
