import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** SHA-256 of some bytes, lower-case hex. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const HEX64 = /^[0-9a-f]{64}$/;

/** Where the bytes with this hash live: fanned out by the first two hex digits so no directory grows huge. */
export function evidencePath(dataDir: string, sha256: string): string {
  if (!HEX64.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
  return join(dataDir, 'evidence', sha256.slice(0, 2), sha256);
}

/**
 * Writes content-addressed bytes once: a file already there has these bytes by construction. Written to a
 * temporary name and renamed, so a reader never sees half a file. Done before the database transaction; an
 * orphan left by a rolled-back upload is harmless and is reused by the next upload of the same bytes.
 */
export async function writeEvidenceFile(dataDir: string, sha256: string, bytes: Uint8Array): Promise<void> {
  const path = evidencePath(dataDir, sha256);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.size === bytes.byteLength) return;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, bytes, { mode: 0o600 });
  await rename(tmp, path);
}

export const readEvidenceFile = (dataDir: string, sha256: string): Promise<Buffer> =>
  readFile(evidencePath(dataDir, sha256));
