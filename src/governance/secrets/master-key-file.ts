import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  generateMasterKey,
  parseMasterKey,
  SecretBoxError,
  type Keyring,
  type MasterKey,
} from './secret-box.js';

/** Where the key file lives when no key is configured. */
export const masterKeyPath = (dataDir: string): string => resolve(join(dataDir, 'master.key'));

const keyText = (key: MasterKey): string => `${key.key.toString('base64')}\n`;

function writeKeyFile(path: string, key: MasterKey): void {
  mkdirSync(dirname(path), { recursive: true });
  // 0600 at creation, and again in case a umask or an older file widened it.
  writeFileSync(path, keyText(key), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

function readKeyFile(path: string): MasterKey {
  const mode = statSync(path).mode & 0o077;
  if (mode !== 0) {
    throw new SecretBoxError(
      `${path} is readable by other users (mode ${(statSync(path).mode & 0o777).toString(8)}): chmod 600 it`,
    );
  }
  return parseMasterKey(readFileSync(path, 'utf8'));
}

/**
 * The keyring for this installation: the configured key (RIPOSTE_MASTER_KEY) or `${dataDir}/master.key`,
 * created with mode 0600 on first use. A `master.key.previous` left by a rotation stays readable until the
 * rotation finished re-sealing everything.
 */
export function loadKeyring(config: {
  masterKey?: string;
  masterKeyPrevious?: string;
  dataDir: string;
}): Keyring {
  if (config.masterKey) {
    // Keys it replaced open what they sealed (a process still on the old key wrote a secret meanwhile).
    const previous = (config.masterKeyPrevious ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '')
      .map((k) => parseMasterKey(k));
    return { primary: parseMasterKey(config.masterKey), previous };
  }
  const path = masterKeyPath(config.dataDir);
  if (!existsSync(path)) writeKeyFile(path, generateMasterKey());
  const previousPath = `${path}.previous`;
  const previous = existsSync(previousPath) ? [readKeyFile(previousPath)] : [];
  return { primary: readKeyFile(path), previous };
}

/**
 * The keyring, loaded on first use: a process (or a migration) that never touches a secret never creates a
 * key file.
 */
export function keyringLoader(config: Parameters<typeof loadKeyring>[0]): () => Keyring {
  let keyring: Keyring | undefined;
  return () => (keyring ??= loadKeyring(config));
}

/**
 * Starts a file-based rotation: the current key becomes `master.key.previous`, a new key `master.key`. Both
 * are loaded until `finishFileRotation` removes the previous one, so a crash in between loses nothing.
 */
export function beginFileRotation(dataDir: string): Keyring {
  const path = masterKeyPath(dataDir);
  const current = readKeyFile(path);
  const next = generateMasterKey();
  const nextPath = `${path}.next`;
  writeFileSync(nextPath, keyText(next), { mode: 0o600 });
  chmodSync(nextPath, 0o600);
  renameSync(path, `${path}.previous`);
  renameSync(nextPath, path);
  return { primary: next, previous: [current] };
}

export function finishFileRotation(dataDir: string): void {
  const previousPath = `${masterKeyPath(dataDir)}.previous`;
  // Every envelope is re-sealed by now: the old key has nothing left to open.
  if (existsSync(previousPath)) unlinkSync(previousPath);
}
