import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestKeyPair {
  key: string;
  cert: string;
}

/** Runs `make` in a scratch directory with the openssl CLI at hand, removing the directory after. */
function inScratchDir<T>(make: (dir: string, openssl: (args: string[]) => void) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-cert-'));
  try {
    return make(dir, (args) => execFileSync('openssl', args, { stdio: 'ignore' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed certificate for 127.0.0.1 and localhost made with the openssl CLI, as PEM text (TLS servers of the tests). */
export function makeTestCertificate(): TestKeyPair {
  return inScratchDir((dir, openssl) => {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  });
}

/** A P-256 key pair: quicker to make than RSA, and any TLS peer takes it. */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A certificate authority for tests of mutual TLS: its certificate and key, as PEM text. */
export function makeTestCa(name = 'Riposte test CA'): TestKeyPair {
  return inScratchDir((dir, openssl) => {
    openssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  });
}

/** A client certificate signed by `ca` (for TLS client authentication), with its key, as PEM text. */
export function makeClientCertificate(ca: TestKeyPair, name = 'syslog client'): TestKeyPair {
  return inScratchDir((dir, openssl) => {
    const path = (file: string): string => join(dir, file);
    writeFileSync(path('ca.pem'), ca.cert);
    writeFileSync(path('ca.key'), ca.key);
    writeFileSync(path('ext.cnf'), 'extendedKeyUsage=clientAuth\n');
    openssl([
      'req',
      '-new',
      ...EC_KEY,
      '-keyout',
      path('key.pem'),
      '-out',
      path('csr.pem'),
      '-subj',
      `/CN=${name}`,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      path('csr.pem'),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '1',
      '-extfile',
      path('ext.cnf'),
      '-out',
      path('cert.pem'),
    ]);
    return { key: readFileSync(path('key.pem'), 'utf8'), cert: readFileSync(path('cert.pem'), 'utf8') };
  });
}
