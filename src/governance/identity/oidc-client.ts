import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { RiposteError } from '../../domain/shared/errors.js';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUrl: string;
}

const Discovery = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
});
type Discovery = z.infer<typeof Discovery>;

const TokenResponse = z.object({ id_token: z.string().min(1) });

/** The identity claims Riposte uses from a verified ID token. */
export interface OidcIdentity {
  /** `<issuer>|<sub>`: stable and unique across identity providers. */
  subject: string;
  preferredUsername?: string;
  email?: string;
  name?: string;
}

const unauthenticated = (message: string, cause?: unknown): RiposteError =>
  new RiposteError('RIPOSTE_UNAUTHENTICATED', `OpenID Connect sign-in failed: ${message}`, { cause });

/** PKCE (RFC 7636) with S256: the verifier stays here, only its hash goes to the browser. */
export function createPkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * An OpenID Connect relying party for the authorization code flow with PKCE: discovery, the authorization URL,
 * the code exchange and ID token verification against the provider's JWKS (with jose).
 */
export function createOidcClient(settings: OidcSettings) {
  let discovery: Promise<Discovery> | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  const discover = (): Promise<Discovery> => {
    discovery ??= (async () => {
      const url = `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`discovery at ${url} answered ${res.status}`);
      const parsed = Discovery.safeParse(await res.json());
      if (!parsed.success)
        throw new Error(`discovery at ${url} is missing ${parsed.error.issues[0]?.path.join('.')}`);
      if (parsed.data.issuer !== settings.issuer) {
        throw new Error(`discovery names issuer ${parsed.data.issuer}, not ${settings.issuer}`);
      }
      return parsed.data;
    })().catch((err: unknown) => {
      // Try again next time rather than caching a failure.
      discovery = undefined;
      throw new RiposteError(
        'RIPOSTE_UNAVAILABLE',
        `the identity provider cannot be reached: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    });
    return discovery;
  };

  return {
    /** Where to send the browser; `state` and `nonce` must be kept (with the verifier) until the callback. */
    async authorizationUrl(input: { state: string; nonce: string; codeChallenge: string }): Promise<string> {
      const d = await discover();
      const url = new URL(d.authorization_endpoint);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', settings.clientId);
      url.searchParams.set('redirect_uri', settings.redirectUrl);
      url.searchParams.set('scope', 'openid profile email');
      url.searchParams.set('state', input.state);
      url.searchParams.set('nonce', input.nonce);
      url.searchParams.set('code_challenge', input.codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      return url.toString();
    },

    /** Exchanges the code, verifies the ID token (signature, issuer, audience, expiry, nonce). */
    async exchangeCode(input: { code: string; codeVerifier: string; nonce: string }): Promise<OidcIdentity> {
      const d = await discover();
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: settings.redirectUrl,
        client_id: settings.clientId,
        code_verifier: input.codeVerifier,
      });
      if (settings.clientSecret) body.set('client_secret', settings.clientSecret);
      const res = await fetch(d.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw unauthenticated(`the token endpoint refused the code (${res.status})`);
      const tokens = TokenResponse.safeParse(await res.json());
      if (!tokens.success) throw unauthenticated('the token endpoint returned no id_token');
      jwks ??= createRemoteJWKSet(new URL(d.jwks_uri));
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(tokens.data.id_token, jwks, {
          issuer: settings.issuer,
          audience: settings.clientId,
          algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
        }));
      } catch (err) {
        throw unauthenticated(`the ID token is not valid (${(err as Error).message})`, err);
      }
      if (payload.nonce !== input.nonce)
        throw unauthenticated('the ID token was issued for another sign-in (nonce)');
      if (!payload.sub) throw unauthenticated('the ID token has no subject');
      const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
      return {
        subject: `${settings.issuer}|${payload.sub}`,
        ...(str(payload.preferred_username) ? { preferredUsername: str(payload.preferred_username) } : {}),
        ...(str(payload.email) ? { email: str(payload.email) } : {}),
        ...(str(payload.name) ? { name: str(payload.name) } : {}),
      };
    },
  };
}

export type OidcClient = ReturnType<typeof createOidcClient>;
