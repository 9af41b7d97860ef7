import { describe, expect, it } from 'vitest';
import {
  generateMasterKey,
  isSealedWithPrimary,
  openSecret,
  parseMasterKey,
  sealSecret,
  type Keyring,
} from './secret-box.js';

describe('secret box (AES-256-GCM)', () => {
  const ring: Keyring = { primary: generateMasterKey(), previous: [] };

  it('seals and opens, never storing the plain text', () => {
    const sealed = sealSecret(ring, { apiKey: 'sk-plain-123456' }, 'connector-instance:vt');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{16}\./);
    expect(sealed).not.toContain('sk-plain');
    expect(openSecret(ring, sealed, 'connector-instance:vt')).toEqual({ apiKey: 'sk-plain-123456' });
  });

  it('uses a fresh IV each time', () => {
    expect(sealSecret(ring, 'x', 'a')).not.toBe(sealSecret(ring, 'x', 'a'));
  });

  it('refuses a tampered envelope and one moved to another instance', () => {
    const sealed = sealSecret(ring, { k: 'v' }, 'connector-instance:a');
    const bytes = Buffer.from(sealed.split('.')[2] ?? '', 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    const tampered = `${sealed.split('.').slice(0, 2).join('.')}.${bytes.toString('base64')}`;
    expect(() => openSecret(ring, tampered, 'connector-instance:a')).toThrow(/integrity/);
    expect(() => openSecret(ring, sealed, 'connector-instance:b')).toThrow(/integrity/);
  });

  it('opens with a previous key during rotation and says which key is missing otherwise', () => {
    const old = generateMasterKey();
    const sealed = sealSecret({ primary: old, previous: [] }, 'v', 'a');
    const rotated: Keyring = { primary: generateMasterKey(), previous: [old] };
    expect(openSecret(rotated, sealed, 'a')).toBe('v');
    expect(isSealedWithPrimary(rotated, sealed)).toBe(false);
    expect(() => openSecret(ring, sealed, 'a')).toThrow(old.id);
  });

  it('parses keys as base64 or hex and refuses other lengths', () => {
    const key = generateMasterKey();
    expect(parseMasterKey(key.key.toString('base64')).id).toBe(key.id);
    expect(parseMasterKey(key.key.toString('hex')).id).toBe(key.id);
    expect(() => parseMasterKey('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});
