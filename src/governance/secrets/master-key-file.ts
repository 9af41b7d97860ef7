import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
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

/**
 * Creates the key file unless another process did first: the key is written whole under a name of this
 * process's own, then linked into place, which fails if the file exists. Processes started together on a new
 * data directory (an API and a worker) so agree on one key, and none reads half of one.
 */
export function createKeyFile(path: string, key: MasterKey): void {
  mkdirSync(dirname(path), { recursive: true });
  const staged = `${path}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
  // 0600 at creation, and again in case a umask widened it.
  writeFileSync(staged, keyText(key), { mode: 0o600, flag: 'wx' });
  chmodSync(staged, 0o600);
  try {
    linkSync(staged, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(staged);
  }
}

/**
 * Puts `key` at `path` in one rename: a process reading the file meanwhile sees the old key or the new one,
 * never a missing file (it would create a key of its own and seal under it) or half a key.
 */
function replaceKeyFile(path: string, key: MasterKey): void {
  const staged = `${path}.next`;
  writeFileSync(staged, keyText(key), { mode: 0o600 });
  chmodSync(staged, 0o600);
  renameSync(staged, path);
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

/** The key in `path`, or undefined once it is gone (a rotation may remove it while this reads). */
function readKeyFileIfPresent(path: string): MasterKey | undefined {
  try {
    return readKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
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
  if (!existsSync(path)) createKeyFile(path, generateMasterKey());
  const primary = readKeyFile(path);
  // Read after the primary: a rotation writes the previous key before the new one (`beginFileRotation`).
  const previous = readKeyFileIfPresent(`${path}.previous`);
  return { primary, previous: previous ? [previous] : [] };
}

/** Tells one version of a file from the next (a rotation renames a new file into place), or its absence. */
function fileIdentity(path: string): string {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

/**
 * A keyring that follows `master.key` and `master.key.previous`: each read of `primary` or `previous` checks
 * the files (a stat each; secrets are not a hot path) and reloads them once they changed. A process running
 * through `rotate-key` then seals under the new key as soon as it is written, and opens what the rotation
 * re-sealed, without a restart.
 */
function followKeyFiles(dataDir: string): Keyring {
  const path = masterKeyPath(dataDir);
  let seen = '';
  let loaded: Keyring | undefined;
  const current = (): Keyring => {
    // Taken before reading: a change while reading shows at the next check, never hides behind it.
    const identity = `${fileIdentity(path)}|${fileIdentity(`${path}.previous`)}`;
    if (loaded === undefined || identity !== seen) {
      loaded = loadKeyring({ dataDir });
      seen = identity;
    }
    return loaded;
  };
  current();
  return {
    get primary() {
      return current().primary;
    },
    get previous() {
      return current().previous;
    },
  };
}

/**
 * The keyring, loaded on first use: a process (or a migration) that never touches a secret never creates a
 * key file. A configured key is read once (it changes with a restart); a key file is followed through
 * rotations (see `followKeyFiles`), also by whoever kept the keyring this returned.
 */
export function keyringLoader(config: Parameters<typeof loadKeyring>[0]): () => Keyring {
  let keyring: Keyring | undefined;
  if (config.masterKey) return () => (keyring ??= loadKeyring(config));
  return () => (keyring ??= followKeyFiles(config.dataDir));
}

/**
 * Starts a file-based rotation: the current key becomes `master.key.previous`, a new key `master.key`. Both
 * are loaded until `finishFileRotation` removes the previous one, so a crash in between loses nothing.
 * The previous key is in place before the new one: a process that sees the new key can open the old one's
 * envelopes too.
 */
export function beginFileRotation(dataDir: string): Keyring {
  const path = masterKeyPath(dataDir);
  const current = readKeyFile(path);
  const next = generateMasterKey();
  replaceKeyFile(`${path}.previous`, current);
  replaceKeyFile(path, next);
  return { primary: next, previous: [current] };
}

export function finishFileRotation(dataDir: string): void {
  const previousPath = `${masterKeyPath(dataDir)}.previous`;
  // Every envelope is re-sealed by now: the old key has nothing left to open.
  if (existsSync(previousPath)) unlinkSync(previousPath);
}
