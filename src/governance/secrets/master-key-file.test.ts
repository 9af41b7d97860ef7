import { mkdtempSync, readdirSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  beginFileRotation,
  createKeyFile,
  finishFileRotation,
  keyringLoader,
  loadKeyring,
  masterKeyPath,
} from './master-key-file.js';
import { generateMasterKey, openSecret, resealUnderPrimary, sealSecret } from './secret-box.js';

describe('master key file', () => {
  it('creates the key file with mode 0600 on first use and reads the same key after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-key-'));
    const first = loadKeyring({ dataDir: dir });
    expect(statSync(masterKeyPath(dir)).mode & 0o777).toBe(0o600);
    expect(loadKeyring({ dataDir: dir }).primary.id).toBe(first.primary.id);
  });

  it('keeps the key another process created first, whole, rather than failing or writing its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-key-race-'));
    const path = masterKeyPath(dir);
    const first = generateMasterKey();
    // Two processes on a new data directory both found no file: the one that comes second must not fail.
    createKeyFile(path, first);
    expect(() => createKeyFile(path, generateMasterKey())).not.toThrow();
    expect(loadKeyring({ dataDir: dir }).primary.id).toBe(first.id);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // Nothing staged is left behind.
    expect(readdirSync(dir)).toEqual(['master.key']);
  });

  it('prefers a configured key and never writes a file then', () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-key-'));
    const key = generateMasterKey();
    expect(loadKeyring({ dataDir: dir, masterKey: key.key.toString('hex') }).primary.id).toBe(key.id);
    expect(existsSync(masterKeyPath(dir))).toBe(false);
  });

  it('refuses a key file other users can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-key-'));
    writeFileSync(masterKeyPath(dir), generateMasterKey().key.toString('base64'));
    chmodSync(masterKeyPath(dir), 0o644);
    expect(() => loadKeyring({ dataDir: dir })).toThrow(/chmod 600/);
  });

  it('rotation keeps the previous key loadable until it finishes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-key-'));
    const before = loadKeyring({ dataDir: dir });
    const during = beginFileRotation(dir);
    expect(during.previous.map((k) => k.id)).toEqual([before.primary.id]);
    expect(loadKeyring({ dataDir: dir }).previous.map((k) => k.id)).toEqual([before.primary.id]);
    finishFileRotation(dir);
    const after = loadKeyring({ dataDir: dir });
    expect(after.primary.id).toBe(during.primary.id);
    expect(after.previous).toEqual([]);
  });

  it('follows a rotation that began after it loaded: seals under the new key, opens what was re-sealed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-key-'));
    // A running server: one loader for its life, and a keyring kept from it (as the connector runtime does).
    const load = keyringLoader({ dataDir: dir });
    const kept = load();
    const beforeRotation = sealSecret(load(), 'api-token', 'instance:a');
    const during = beginFileRotation(dir);
    const resealed = resealUnderPrimary(during, beforeRotation, 'instance:a', 'a secret') as string;
    for (const keyring of [load(), kept]) {
      expect(sealSecret(keyring, 'new', 'instance:b').split('.')[1]).toBe(during.primary.id);
      expect(openSecret(keyring, resealed, 'instance:a')).toBe('api-token');
      // The previous key opens what it sealed while master.key.previous is there.
      expect(openSecret(keyring, beforeRotation, 'instance:a')).toBe('api-token');
    }
    finishFileRotation(dir);
    expect(kept.previous).toEqual([]);
    expect(() => openSecret(kept, beforeRotation, 'instance:a')).toThrow(/not configured/);
    expect(openSecret(kept, resealed, 'instance:a')).toBe('api-token');
  });
});
