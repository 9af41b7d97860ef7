import type { Config } from '../../config/config.js';

export const SESSION_COOKIE = 'riposte_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Reads one cookie from a Cookie header; no dependency needed for this much. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure when
 * Riposte is reached over https.
 */
export function sessionCookie(config: Pick<Config, 'publicUrl'>, value: string, maxAgeMs: number): string {
  const secure = config.publicUrl?.startsWith('https:') ? '; Secure' : '';
  const maxAge = Math.max(0, Math.floor(maxAgeMs / 1000));
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
}

export const clearedSessionCookie = (config: Pick<Config, 'publicUrl'>): string =>
  sessionCookie(config, '', 0);
