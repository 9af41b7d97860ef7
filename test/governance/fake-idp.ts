import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface FakeIdp {
  issuer: string;
  /** What the IdP does at its authorize endpoint for a signed-in person: returns a code for the redirect. */
  issueCode(authorizeUrl: string, claims?: Record<string, unknown>): string;
  /** Sign ID tokens with a key the JWKS does not publish (a forged token). */
  forgeNextToken(): void;
  /** Put this audience in the next ID token. */
  nextAudience(aud: string): void;
  close(): Promise<void>;
}

/** A minimal OpenID Provider on 127.0.0.1: discovery, JWKS, and a token endpoint that checks PKCE. */
export async function startFakeIdp(clientId: string): Promise<FakeIdp> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const forger = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const codes = new Map<string, { challenge: string; nonce: string; claims: Record<string, unknown> }>();
  let forge = false;
  let audience = clientId;
  let issuer = '';

  const sign = async (claims: Record<string, unknown>, nonce: string, key: CryptoKey) =>
    new SignJWT({ ...claims, nonce })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (!grant || grant.challenge !== challenge || form.get('client_id') !== clientId) {
          return json(400, { error: 'invalid_grant' });
        }
        codes.delete(form.get('code') ?? '');
        const key = forge ? forger.privateKey : privateKey;
        forge = false;
        void sign(grant.claims, grant.nonce, key).then((idToken) => {
          audience = clientId;
          json(200, { access_token: 'at', token_type: 'Bearer', id_token: idToken });
        });
      });
      return undefined;
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    issueCode(authorizeUrl, claims = { sub: 'u-1', preferred_username: 'olga', email: 'olga@example.com' }) {
      const u = new URL(authorizeUrl);
      if (u.searchParams.get('code_challenge_method') !== 'S256') throw new Error('PKCE S256 expected');
      const code = randomBytes(8).toString('hex');
      codes.set(code, {
        challenge: u.searchParams.get('code_challenge') ?? '',
        nonce: u.searchParams.get('nonce') ?? '',
        claims,
      });
      return code;
    },
    forgeNextToken: () => {
      forge = true;
    },
    nextAudience: (aud) => {
      audience = aud;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
