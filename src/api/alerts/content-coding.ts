import { PassThrough, pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { RiposteError } from '../../domain/shared/errors.js';

/**
 * Compressed ingest bodies, as log shippers send them (Fluent Bit's and Vector's `compress gzip`, Logstash's
 * `http_compression`, Beats): a request's `Content-Encoding` names how its body was compressed, and the body is
 * read decompressed. Limits apply to what it decompresses to, so a small body that inflates past them (a
 * "zip bomb") is refused, not held.
 */
export type ContentCoding = 'gzip' | 'deflate' | 'br';

const CODINGS: Readonly<Record<string, ContentCoding>> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'br',
};

/** What a 415 for a content coding says is accepted (RFC 7694, section 3). */
export const ACCEPTED_CODINGS = 'gzip, deflate, br, identity';

/** A body's coding as its `Content-Encoding` names it: `identity` when it is sent as is. */
export type NamedCoding = ContentCoding | 'identity' | { unsupported: string };

/** A body's coding: `identity` when it is sent as is, or the unsupported coding it names. */
export function contentCodingOf(header: string | undefined): NamedCoding {
  const named = header?.trim().toLowerCase() ?? '';
  if (named === '' || named === 'identity') return 'identity';
  // One coding: a body compressed twice ("gzip, br") is no sender's, and each layer would multiply the bomb.
  return CODINGS[named] ?? { unsupported: named };
}

const NAMES: Readonly<Record<ContentCoding, string>> = {
  gzip: 'gzip',
  deflate: 'deflate (zlib)',
  br: 'Brotli',
};

/** The 400 for a body that does not decompress: what its coding says it is, it is not. */
function notDecodable(coding: ContentCoding, err: unknown): RiposteError {
  const why = err instanceof Error ? err.message : String(err);
  return new RiposteError(
    'RIPOSTE_VALIDATION',
    `the body is not valid ${NAMES[coding]} as its Content-Encoding says: ${why}`,
    { details: [{ path: 'body', message: `not valid ${coding}` }] },
  );
}

/**
 * Bytes after the end of a deflate or Brotli stream, which zlib ignores without a word (a gzip decoder reads
 * them as another member, and fails on garbage): they are no part of the body its coding describes, and must
 * not slip past as if it had ended there.
 */
const TRAILING_BYTES = 'bytes follow the end of the compressed data';

const decompressor = (coding: ContentCoding): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress =>
  coding === 'gzip'
    ? zlib.createGunzip()
    : coding === 'deflate'
      ? zlib.createInflate()
      : zlib.createBrotliDecompress();

/** The 415 for a coding this server cannot read. */
export const unsupportedCoding = (coding: { unsupported: string }): RiposteError =>
  new RiposteError(
    'RIPOSTE_UNSUPPORTED_MEDIA_TYPE',
    `Content-Encoding ${coding.unsupported} is not supported: send the body as is, or with gzip, deflate or br`,
  );

/**
 * A body already read whole (a signed webhook's, whose signature covers the bytes as sent), decompressed;
 * refused with a 413 once it passes `maxBytes` decompressed.
 */
export function decodeBody(raw: Buffer, coding: NamedCoding, maxBytes: number): Buffer {
  if (coding === 'identity') return raw;
  if (typeof coding !== 'string') throw unsupportedCoding(coding);
  const options = { maxOutputLength: maxBytes, info: true } as const;
  try {
    // With `info`, zlib answers the engine beside the buffer (Node's types do not say so): it tells how
    // much of the input the data took.
    const { buffer, engine } = (coding === 'gzip'
      ? zlib.gunzipSync(raw, options)
      : coding === 'deflate'
        ? zlib.inflateSync(raw, options)
        : zlib.brotliDecompressSync(raw, options)) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    if (engine.bytesWritten < raw.length) throw new Error(TRAILING_BYTES);
    return buffer;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new RiposteError(
        'RIPOSTE_PAYLOAD_TOO_LARGE',
        `the body decompresses to more than the ${maxBytes.toLocaleString('en-US')}-byte limit`,
      );
    throw notDecodable(coding, err);
  }
}

/**
 * Fastify `preParsing` hook: a compressed request body is read through a decompressor, by the JSON parser
 * (whose body limit then counts decompressed bytes) as by the NDJSON stream. The stream counts the bytes it
 * received (`receivedEncodedLength`), which Fastify checks against Content-Length. A body that turns out not
 * to be what its coding says fails with a 400 naming it, also in the middle of a stream.
 */
export async function decodeRequestBody(request: FastifyRequest, _reply: unknown, payload: Readable) {
  const coding = contentCodingOf(request.headers['content-encoding']);
  // Unsupported codings are refused by `unreadableBodyProblem` before any body is read.
  if (typeof coding !== 'string' || coding === 'identity') return payload;
  const inflater = decompressor(coding);
  // What the parser reads: the decompressed bytes, ended only once all that was sent was part of them.
  const decoded = new PassThrough() as PassThrough & { receivedEncodedLength?: number };
  let received = 0;
  payload.on('data', (chunk: Buffer) => {
    received += chunk.length;
    decoded.receivedEncodedLength = received;
  });
  // Ahead of any reader's listener: the error it sees is the problem to answer with.
  decoded.prependListener('error', (err: Error & { statusCode?: number }) => {
    if (err.statusCode !== undefined || (err as NodeJS.ErrnoException).code === 'ECONNRESET') return;
    const problem = notDecodable(coding, err);
    err.message = problem.message;
    err.statusCode = 400;
  });
  // A failed read (a client gone) destroys the decompressor with its error; the decompressor's own errors
  // (also those of its end, after the body was all read) go to what the parser reads.
  pipeline(payload, inflater, () => undefined);
  inflater.on('error', (err) => decoded.destroy(err));
  inflater.pipe(decoded, { end: false });
  inflater.once('end', () => {
    if (inflater.bytesWritten < received) decoded.destroy(new Error(TRAILING_BYTES));
    else decoded.end();
  });
  return decoded;
}
