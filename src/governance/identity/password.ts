import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import type { ProblemDetail } from '../../domain/shared/errors.js';

/** OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane): ~100 ms here, slow enough to blunt guessing. */
// `Algorithm` is an ambient const enum we cannot import under verbatimModuleSyntax; 2 is Argon2id.
const ARGON2_OPTIONS = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * NIST SP 800-63B: length over composition rules. At least 12 characters, not only one repeated character,
 * and not the username.
 */
export function checkPasswordPolicy(password: string, username?: string): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) {
    problems.push({ path: 'password', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` });
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    problems.push({ path: 'password', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` });
  }
  if (password.length > 0 && new Set(password).size < 4) {
    problems.push({ path: 'password', message: 'must use at least 4 different characters' });
  }
  if (username && password.toLowerCase().includes(username.toLowerCase())) {
    problems.push({ path: 'password', message: 'must not contain the username' });
  }
  return problems;
}

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2_OPTIONS);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash to verify against when the user does not exist, so a wrong username costs as long as a wrong
 * password and response times do not reveal which usernames exist.
 */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}

/** A one-time password that meets the policy: 24 characters of base64url (144 bits). */
export const generatePassword = (): string => randomBytes(18).toString('base64url');
