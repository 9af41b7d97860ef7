import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A 32-byte AES key and the short id sealed envelopes name it by. */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** The key new secrets are sealed with, and older keys still accepted while opening (rotation). */
export interface Keyring {
  primary: MasterKey;
  previous: readonly MasterKey[];
}

/** Thrown when a sealed value cannot be opened; says why without revealing anything. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';

export function masterKeyFrom(key: Buffer): MasterKey {
  if (key.length !== 32) throw new SecretBoxError(`a master key must be 32 bytes, got ${key.length}`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

/** Parses a key given as base64 (44 chars) or hex (64 chars). */
export function parseMasterKey(text: string): MasterKey {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (bytes.length !== 32) {
    throw new SecretBoxError(
      'the master key must be 32 bytes written as base64 (44 characters) or hex (64 characters)',
    );
  }
  return masterKeyFrom(bytes);
}

export const generateMasterKey = (): MasterKey => masterKeyFrom(randomBytes(32));

/**
 * Seals a JSON-able value with AES-256-GCM: `v1.<keyId>.<base64(iv ‖ tag ‖ ciphertext)>`. The associated data
 * binds the envelope to its purpose (e.g. the instance name), so one instance's secrets cannot be pasted
 * into another's row.
 */
export function sealSecret(keyring: Keyring, value: unknown, associatedData: string): string {
  // Read once: a keyring following a key file may change between two reads, and the envelope must name the
  // key that sealed it.
  const { primary } = keyring;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', primary.key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  const payload = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  return `${VERSION}.${primary.id}.${payload}`;
}

/** Opens an envelope sealed by `sealSecret` with any key of the ring. */
export function openSecret(keyring: Keyring, sealed: string, associatedData: string): unknown {
  const [version, keyId, payload] = sealed.split('.');
  if (version !== VERSION || !keyId || !payload)
    throw new SecretBoxError('not a sealed secret (unknown format)');
  const key = [keyring.primary, ...keyring.previous].find((k) => k.id === keyId);
  if (!key) {
    throw new SecretBoxError(
      `sealed with master key ${keyId}, which is not configured: restore that key to read it`,
    );
  }
  const bytes = Buffer.from(payload, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as unknown;
  } catch {
    throw new SecretBoxError(
      'a sealed secret failed its integrity check (tampered, or sealed for something else)',
    );
  }
}

/** True when the envelope is sealed with the ring's primary key (nothing to rotate). */
export const isSealedWithPrimary = (keyring: Keyring, sealed: string): boolean =>
  sealed.split('.')[1] === keyring.primary.id;

/**
 * The envelope sealed again under the ring's primary key, or undefined when it already is: what a key
 * rotation writes back. One that cannot be opened fails naming `what` (a rotation then rolls back whole).
 */
export function resealUnderPrimary(
  keyring: Keyring,
  sealed: string,
  associatedData: string,
  what: string,
): string | undefined {
  if (isSealedWithPrimary(keyring, sealed)) return undefined;
  let opened: unknown;
  try {
    opened = openSecret(keyring, sealed, associatedData);
  } catch (err) {
    throw new SecretBoxError(`cannot open ${what}: ${(err as Error).message}`);
  }
  return sealSecret(keyring, opened, associatedData);
}
