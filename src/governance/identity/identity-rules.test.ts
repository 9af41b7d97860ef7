import { describe, expect, it } from 'vitest';
import { LOCKOUT_MS, MAX_FAILED_LOGINS, afterFailedLogin, isLocked } from './lockout.js';
import { checkPasswordPolicy, generatePassword, hashPassword, verifyPassword } from './password.js';
import { generateApiToken, hashSecret, secretsEqual } from './secret-token.js';

describe('password policy', () => {
  it('accepts a long passphrase and names each problem otherwise', () => {
    expect(checkPasswordPolicy('quiet amber lantern 42', 'rita')).toEqual([]);
    expect(checkPasswordPolicy('short', 'rita').map((p) => p.message)).toEqual([
      'must be at least 12 characters',
    ]);
    expect(checkPasswordPolicy('aaaaaaaaaaaaaaaa').map((p) => p.message)).toEqual([
      'must use at least 4 different characters',
    ]);
    expect(checkPasswordPolicy('my name is Rita, ok?', 'rita').map((p) => p.message)).toEqual([
      'must not contain the username',
    ]);
    expect(checkPasswordPolicy(generatePassword(), 'admin')).toEqual([]);
  });

  it('hashes with Argon2id and verifies only the right password', async () => {
    const hash = await hashPassword('quiet amber lantern 42');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'quiet amber lantern 42')).toBe(true);
    expect(await verifyPassword(hash, 'quiet amber lantern 43')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });
});

describe('lockout', () => {
  it(`locks after ${MAX_FAILED_LOGINS} failures in a row, for ${LOCKOUT_MS / 60_000} minutes`, () => {
    let state = { failedLogins: 0, lockedUntil: null as number | null };
    for (let i = 1; i < MAX_FAILED_LOGINS; i += 1) state = afterFailedLogin(state, 1000);
    expect(isLocked(state, 1000)).toBe(false);
    state = afterFailedLogin(state, 1000);
    expect(state).toEqual({ failedLogins: MAX_FAILED_LOGINS, lockedUntil: 1000 + LOCKOUT_MS });
    expect(isLocked(state, 1000 + LOCKOUT_MS - 1)).toBe(true);
    expect(isLocked(state, 1000 + LOCKOUT_MS)).toBe(false);
    // A failure after the lock ran out starts counting again.
    expect(afterFailedLogin(state, 2000 + LOCKOUT_MS)).toEqual({ failedLogins: 1, lockedUntil: null });
  });
});

describe('secret tokens', () => {
  it('makes distinct prefixed tokens and stores only a hash', () => {
    const a = generateApiToken();
    expect(a).toMatch(/^rpt_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(generateApiToken());
    expect(hashSecret(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
  });
});
