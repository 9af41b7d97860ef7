import { createPrivateKey } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { syslogSettingWarnings, syslogTlsFromConfig } from '../../src/app/ingest/syslog-settings.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { listenSyslog, SyslogBindError } from '../../src/ingest/listeners/syslog-listeners.js';
import { createTestContext } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { makeTestCa, makeTestCertificate } from '../support/test-certificate.js';
import { freePort } from '../support/waiting.js';

/** Whether this process can bind the port now, on UDP and on TCP: nothing of a failed start holds it. */
async function portIsFree(port: number): Promise<{ udp: boolean; tcp: boolean }> {
  const udp = dgram.createSocket('udp4');
  const udpFree = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind(port, '127.0.0.1', () => resolve(true));
  });
  udp.close();
  const tcp = net.createServer();
  const tcpFree = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false));
    tcp.listen(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise((r) => tcp.close(r));
  return { udp: udpFree, tcp: tcpFree };
}

describe('syslog listeners that cannot start', () => {
  let dir: string;
  let pair: { key: string; cert: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-syslog-start-'));
    pair = makeTestCertificate();
    writeFileSync(join(dir, 'cert.pem'), pair.cert);
    writeFileSync(join(dir, 'key.pem'), pair.key);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('read the certificate before binding anything: a missing one leaves the UDP and TCP ports free', async () => {
    const port = await freePort();
    await expect(
      listenSyslog(async () => undefined, {
        host: '127.0.0.1',
        udpPort: port,
        tcpPort: port,
        tlsPort: 0,
        tlsCert: join(dir, 'missing.pem'),
        tlsKey: join(dir, 'key.pem'),
        batchSize: 10,
      }),
    ).rejects.toThrow(/ENOENT/);
    expect(await portIsFree(port)).toEqual({ udp: true, tcp: true });
  });

  it('close what they bound when a later port is taken, and say which port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    const udpPort = await freePort();
    try {
      const failure = await listenSyslog(async () => undefined, {
        host: '127.0.0.1',
        udpPort,
        tcpPort: taken,
        batchSize: 10,
      }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(SyslogBindError);
      expect(failure).toMatchObject({ transport: 'tcp', port: taken, code: 'EADDRINUSE' });
      expect((await portIsFree(udpPort)).udp).toBe(true);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  describe('through the app', () => {
    let handle: TestStoreHandle;
    beforeEach(async () => {
      handle = await openTestStore('sqlite');
    });
    afterEach(async () => handle.cleanup());

    it('stop with a config error naming the port setting when the port is taken', async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const taken = (blocker.address() as net.AddressInfo).port;
      try {
        const failure = await startSyslogListeners(createTestContext(handle.store), {
          host: '127.0.0.1',
          udpPort: 0,
          tcpPort: taken,
        }).catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(ConfigError);
        expect((failure as Error).message).toBe(
          `syslog tcp port 127.0.0.1:${taken} is already in use: stop the other process or set RIPOSTE_SYSLOG_TCP_PORT`,
        );
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    });

    it('stop with a config error naming the host settings when the host is not of this machine', async () => {
      // TEST-NET-1 (RFC 5737): an address no machine of ours has.
      const failure = await startSyslogListeners(createTestContext(handle.store), {
        host: '192.0.2.1',
        tcpPort: 0,
      }).catch((err: unknown) => err);
      expect(failure).toEqual(
        new ConfigError(
          '192.0.2.1 is not an address of this machine: fix RIPOSTE_SYSLOG_HOST (or RIPOSTE_HOST, its default)',
        ),
      );
    });
  });

  it('name the TLS setting at fault, before anything is migrated or bound', () => {
    const other = makeTestCertificate();
    writeFileSync(join(dir, 'other-key.pem'), other.key);
    const tlsError = (cert: string | undefined, key: string | undefined): string => {
      try {
        syslogTlsFromConfig({ syslogTlsPort: 6514, syslogTlsCert: cert, syslogTlsKey: key });
        return 'no error';
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
    };
    expect(tlsError(join(dir, 'missing.pem'), join(dir, 'key.pem'))).toBe(
      `RIPOSTE_SYSLOG_TLS_CERT ${join(dir, 'missing.pem')} cannot be read (ENOENT): check the path`,
    );
    expect(tlsError(join(dir, 'key.pem'), join(dir, 'key.pem'))).toMatch(
      /^RIPOSTE_SYSLOG_TLS_CERT is not a PEM certificate: /,
    );
    expect(tlsError(join(dir, 'cert.pem'), join(dir, 'other-key.pem'))).toMatch(
      /^RIPOSTE_SYSLOG_TLS_KEY is not the key of RIPOSTE_SYSLOG_TLS_CERT: .*key values mismatch/,
    );
    expect(tlsError(join(dir, 'cert.pem'), join(dir, 'key.pem'))).toBe('no error');
    expect(syslogTlsFromConfig({ syslogTlsPort: undefined, syslogTlsCert: 'x', syslogTlsKey: 'y' })).toBe(
      undefined,
    );
    expect(() => loadConfig({ env: { RIPOSTE_SYSLOG_TLS_PORT: '6514' } })).toThrow(
      'RIPOSTE_SYSLOG_TLS_PORT needs RIPOSTE_SYSLOG_TLS_CERT and RIPOSTE_SYSLOG_TLS_KEY (syslogTlsCert, syslogTlsKey) too',
    );
  });

  it('open an encrypted key with its passphrase, and name the setting when it is missing or wrong', () => {
    const encrypted = createPrivateKey(pair.key).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'correct horse',
    });
    writeFileSync(join(dir, 'encrypted-key.pem'), encrypted);
    const withPassphrase = (passphrase: string | undefined) => () =>
      syslogTlsFromConfig({
        syslogTlsPort: 6514,
        syslogTlsCert: join(dir, 'cert.pem'),
        syslogTlsKey: join(dir, 'encrypted-key.pem'),
        syslogTlsKeyPassphrase: passphrase,
      });
    expect(withPassphrase(undefined)).toThrow(
      new ConfigError('RIPOSTE_SYSLOG_TLS_KEY is encrypted: set RIPOSTE_SYSLOG_TLS_KEY_PASSPHRASE'),
    );
    // OpenSSL's reason varies: about one wrong passphrase in 256 decrypts to valid padding, and the garbage
    // then fails as a malformed key rather than a "bad decrypt" (this test failed so, once).
    expect(withPassphrase('wrong')).toThrow(
      /^RIPOSTE_SYSLOG_TLS_KEY_PASSPHRASE does not open RIPOSTE_SYSLOG_TLS_KEY: /,
    );
    expect(withPassphrase('correct horse')()).toMatchObject({ key: encrypted, passphrase: 'correct horse' });
  });

  it('read and check the CA certificates of mutual TLS with the certificate and key', () => {
    writeFileSync(join(dir, 'ca.pem'), makeTestCa().cert);
    writeFileSync(
      join(dir, 'not-ca.pem'),
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
    const withCa = (ca: string) => () =>
      syslogTlsFromConfig({
        syslogTlsPort: 6514,
        syslogTlsCert: join(dir, 'cert.pem'),
        syslogTlsKey: join(dir, 'key.pem'),
        syslogTlsCa: ca,
      });
    expect(withCa(join(dir, 'missing-ca.pem'))).toThrow(
      new ConfigError(
        `RIPOSTE_SYSLOG_TLS_CA ${join(dir, 'missing-ca.pem')} cannot be read (ENOENT): check the path`,
      ),
    );
    expect(withCa(join(dir, 'not-ca.pem'))).toThrow(
      /^RIPOSTE_SYSLOG_TLS_CA is not a PEM file of CA certificates: /,
    );
    expect(withCa(join(dir, 'key.pem'))).toThrow(
      'RIPOSTE_SYSLOG_TLS_CA is not a PEM file of CA certificates: no PEM certificate in it',
    );
    expect(withCa(join(dir, 'ca.pem'))()?.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('take an IP address for RIPOSTE_SYSLOG_HOST, and name the setting for anything else', () => {
    expect(loadConfig({ env: { RIPOSTE_SYSLOG_HOST: '0.0.0.0' } }).syslogHost).toBe('0.0.0.0');
    expect(loadConfig({ env: { RIPOSTE_SYSLOG_HOST: '::' } }).syslogHost).toBe('::');
    expect(loadConfig({ env: {} }).syslogHost).toBe(undefined);
    for (const bad of ['syslog.example', '0.0.0.0:514', '300.1.1.1'])
      expect(() => loadConfig({ env: { RIPOSTE_SYSLOG_HOST: bad } })).toThrow(
        new ConfigError(
          'RIPOSTE_SYSLOG_HOST must be an IP address to listen on, such as 0.0.0.0, :: or 127.0.0.1',
        ),
      );
  });

  it('warn about syslog settings that do nothing in this process', () => {
    const warnings = (env: Record<string, string>) => syslogSettingWarnings(loadConfig({ env }));
    expect(warnings({ RIPOSTE_ROLE: 'worker', RIPOSTE_SYSLOG_TCP_PORT: '5514' })).toEqual([
      'syslog ports are set but this process has role worker: only api and all processes listen',
    ]);
    expect(warnings({ RIPOSTE_SYSLOG_TLS_CERT: '/etc/riposte/cert.pem' })).toEqual([
      'RIPOSTE_SYSLOG_TLS_CERT or RIPOSTE_SYSLOG_TLS_KEY is set without RIPOSTE_SYSLOG_TLS_PORT: no TLS listener',
    ]);
    expect(warnings({ RIPOSTE_SYSLOG_TLS_CA: '/etc/riposte/ca.pem' })).toEqual([
      'RIPOSTE_SYSLOG_TLS_CA or RIPOSTE_SYSLOG_TLS_KEY_PASSPHRASE is set without RIPOSTE_SYSLOG_TLS_PORT: no TLS listener',
    ]);
    expect(warnings({ RIPOSTE_SYSLOG_TCP_PORT: '5514' })).toEqual([]);
  });
});
