import { z } from 'zod';
import {
  DEFAULT_EVIDENCE_LIMITS,
  downloadEvidence,
  uploadEvidence,
  type EvidenceLimits,
} from '../../app/cases/case-evidence.service.js';
import { notFound, RiposteError } from '../../domain/shared/errors.js';
import { actorOf } from '../../governance/principal.js';
import { listEvidence } from '../../store/cases/case-evidence.repository.js';
import { findCaseById } from '../../store/cases/case.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { ApiContext, ApiInstance } from '../route-plugin.js';
import { CaseEvidenceParams, CaseParams, EvidenceBody, EvidenceUploadQuery } from './case.schemas.js';

/**
 * The checksum a client sent, from `X-Checksum-SHA256` (hex) or `Digest: sha-256=<base64>` (RFC 3230).
 * A malformed header is a 400 rather than being ignored: the client asked for verification.
 */
export function expectedChecksum(headers: Record<string, string | string[] | undefined>): string | undefined {
  const hex = headers['x-checksum-sha256'];
  if (typeof hex === 'string') {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw new RiposteError('RIPOSTE_VALIDATION', 'X-Checksum-SHA256 must be 64 hex digits', {
        details: [{ path: 'headers.x-checksum-sha256', message: 'not a SHA-256 hex digest' }],
      });
    }
    return hex.toLowerCase();
  }
  const digest = headers.digest;
  if (typeof digest === 'string') {
    const match = /(?:^|,)\s*sha-256=([A-Za-z0-9+/=]+)/i.exec(digest);
    const bytes = match?.[1] ? Buffer.from(match[1], 'base64') : undefined;
    if (!bytes || bytes.length !== 32) {
      throw new RiposteError('RIPOSTE_VALIDATION', 'Digest must carry sha-256=<base64 of 32 bytes>', {
        details: [{ path: 'headers.digest', message: 'no usable sha-256 value' }],
      });
    }
    return bytes.toString('hex');
  }
  return undefined;
}

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form (headers must be Latin-1). */
const contentDisposition = (filename: string): string =>
  `attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

/**
 * Evidence files: upload (raw body, any content type), list, and download with chain of custody. The routes
 * live in their own scope whose only body parser hands over the raw bytes: with Fastify's JSON and text
 * parsers inherited, a JSON or text upload would arrive parsed (its exact bytes and checksum lost) while the
 * other case routes still need them.
 */
export async function registerEvidenceRoutes(
  app: ApiInstance,
  ctx: ApiContext,
  limits: EvidenceLimits = DEFAULT_EVIDENCE_LIMITS,
): Promise<void> {
  await app.register(async (scope) => registerEvidenceScope(scope as ApiInstance, ctx, limits));
}

async function registerEvidenceScope(
  app: ApiInstance,
  ctx: ApiContext,
  limits: EvidenceLimits,
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxBytes }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/cases/:id/evidence',
    {
      config: { access: 'evidence:write' },
      bodyLimit: limits.maxBytes,
      schema: {
        tags: ['cases'],
        description:
          'Uploads an evidence file as the raw request body. Send X-Checksum-SHA256 (hex) or Digest: sha-256=… to have it verified.',
        params: CaseParams,
        querystring: EvidenceUploadQuery,
        response: { 201: EvidenceBody },
      },
    },
    async (request, reply) => {
      // Every content type arrives as bytes in this scope; no body at all is an empty file.
      const body: unknown = request.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const evidence = await uploadEvidence(
        ctx,
        {
          caseId: request.params.id,
          bytes,
          contentType: (request.headers['content-type'] ?? 'application/octet-stream').slice(0, 200),
          filename: request.query.filename,
          description: request.query.description,
          expectedSha256: expectedChecksum(request.headers),
          actor: actorOf(principalOf(request)),
        },
        limits,
      );
      return reply.status(201).send(evidence);
    },
  );

  app.get(
    '/cases/:id/evidence',
    {
      config: { access: 'evidence:read' },
      schema: { tags: ['cases'], params: CaseParams, response: { 200: z.array(EvidenceBody) } },
    },
    async (request) => {
      if (!(await findCaseById(ctx.store.db, request.params.id))) throw notFound('case', request.params.id);
      return listEvidence(ctx.store.db, request.params.id);
    },
  );

  app.get(
    '/cases/:id/evidence/:evidenceId/content',
    {
      config: { access: 'evidence:read' },
      schema: {
        tags: ['cases'],
        description:
          'Downloads the file; every download is a chain-of-custody entry on the timeline and in the audit log.',
        params: CaseEvidenceParams,
      },
    },
    async (request, reply) => {
      const { evidence, bytes } = await downloadEvidence(ctx, {
        caseId: request.params.id,
        evidenceId: request.params.evidenceId,
        actor: actorOf(principalOf(request)),
      });
      // Served as an attachment of opaque bytes: an uploaded HTML file must never render in our origin.
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', contentDisposition(evidence.filename))
        .header('x-evidence-content-type', evidence.contentType)
        .header('x-checksum-sha256', evidence.sha256)
        .send(bytes);
    },
  );
}
