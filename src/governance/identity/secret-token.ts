import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API tokens start with this, so secret scanners and people recognise them. */
export const API_TOKEN_PREFIX = 'rpt_';

/** 256 bits of randomness, base64url. */
export const generateSecret = (): string => randomBytes(32).toString('base64url');

export const generateApiToken = (): string => `${API_TOKEN_PREFIX}${generateSecret()}`;

/** SHA-256 is enough for high-entropy secrets: there is nothing to guess, so no slow hash is needed. */
export const hashSecret = (secret: string): string => hash('sha256', secret, 'hex');

/** Constant-time comparison of two strings (CSRF tokens). */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
