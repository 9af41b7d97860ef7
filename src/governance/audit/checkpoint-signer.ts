import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a checkpoint states: the chain up to `seq` ended in `hash`, as seen at `at`. */
export interface CheckpointStatement {
  seq: number;
  hash: string;
  at: number;
}

export interface CheckpointSigner {
  /** First 16 hex characters of the SHA-256 of the public key (SPKI DER). */
  keyId: string;
  publicKeyPem: string;
  sign(statement: CheckpointStatement): string;
}

export const SIGNING_KEY_FILE = 'audit-signing-key.pem';

const message = (s: CheckpointStatement): Buffer =>
  Buffer.from(`riposte-audit-checkpoint\n${s.seq}\n${s.hash}\n${s.at}`, 'utf8');

export const keyIdOf = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

function signerFromPrivateKey(privateKey: KeyObject): CheckpointSigner {
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (statement) => sign(null, message(statement), privateKey).toString('base64url'),
  };
}

/**
 * The Ed25519 key that signs checkpoints, kept in the data directory (mode 0600) and created on first use.
 * Whoever can rewrite the database but not read this file cannot forge a checkpoint.
 */
export function loadOrCreateSigner(dataDir: string): CheckpointSigner {
  const path = join(dataDir, SIGNING_KEY_FILE);
  if (existsSync(path)) return signerFromPrivateKey(createPrivateKey(readFileSync(path)));
  mkdirSync(dirname(path), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    // `wx`: when two processes start together, the first key written wins and the other reads it.
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return signerFromPrivateKey(createPrivateKey(readFileSync(path)));
  }
  return signerFromPrivateKey(privateKey);
}

/** True when the signature over the statement verifies with the public key. */
export function verifyCheckpointSignature(
  publicKeyPem: string,
  statement: CheckpointStatement,
  signature: string,
): boolean {
  try {
    return verify(
      null,
      message(statement),
      createPublicKey(publicKeyPem),
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}
