import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGNING_KEY_FILE, loadOrCreateSigner, verifyCheckpointSignature } from './checkpoint-signer.js';

describe('checkpoint signer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates one private key file, readable by the owner only, and reuses it', () => {
    const a = loadOrCreateSigner(dir);
    const b = loadOrCreateSigner(dir);
    expect(a.keyId).toBe(b.keyId);
    expect(a.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(statSync(join(dir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('signs statements that verify, and fail once any part changes', () => {
    const signer = loadOrCreateSigner(dir);
    const statement = { seq: 42, hash: 'ab'.repeat(32), at: 1_700_000_000_000 };
    const signature = signer.sign(statement);
    expect(verifyCheckpointSignature(signer.publicKeyPem, statement, signature)).toBe(true);
    expect(verifyCheckpointSignature(signer.publicKeyPem, { ...statement, seq: 43 }, signature)).toBe(false);
    expect(
      verifyCheckpointSignature(signer.publicKeyPem, { ...statement, hash: 'cd'.repeat(32) }, signature),
    ).toBe(false);
    const other = loadOrCreateSigner(mkdtempSync(join(tmpdir(), 'riposte-key-')));
    expect(verifyCheckpointSignature(other.publicKeyPem, statement, signature)).toBe(false);
  });
});
