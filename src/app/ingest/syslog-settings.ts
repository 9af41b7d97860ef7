import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { ConfigError, type Config } from '../../config/config.js';
import {
  checkCaCertificates,
  syslogTlsPems,
  type SyslogTlsCredentials,
  type SyslogTransport,
} from '../../ingest/listeners/syslog-listeners.js';

/** The setting that names each listener's port, for messages about it. */
export const PORT_SETTING: Record<SyslogTransport, string> = {
  udp: 'RIPOSTE_SYSLOG_UDP_PORT',
  tcp: 'RIPOSTE_SYSLOG_TCP_PORT',
  tls: 'RIPOSTE_SYSLOG_TLS_PORT',
};

export type SyslogTlsConfig = Pick<
  Config,
  'syslogTlsPort' | 'syslogTlsCert' | 'syslogTlsKey' | 'syslogTlsKeyPassphrase' | 'syslogTlsCa'
>;

const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

/**
 * The syslog TLS credentials of the configuration as PEM text, read and checked (PEM, key of the certificate,
 * passphrase, CA certificates), or a ConfigError naming the setting at fault. Called before anything is
 * migrated or bound, and again on each reload. No message holds the passphrase.
 */
export function syslogTlsFromConfig(config: SyslogTlsConfig): SyslogTlsCredentials | undefined {
  if (config.syslogTlsPort === undefined) return undefined;
  const read = (setting: string, value: string | undefined): string => {
    if (!value) throw new ConfigError(`RIPOSTE_SYSLOG_TLS_PORT is set: set ${setting} too`);
    if (value.includes('-----BEGIN')) return value;
    try {
      return readFileSync(value, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError(`${setting} ${value} cannot be read (${code}): check the path`);
    }
  };
  const cert = read('RIPOSTE_SYSLOG_TLS_CERT', config.syslogTlsCert);
  const key = read('RIPOSTE_SYSLOG_TLS_KEY', config.syslogTlsKey);
  const ca = config.syslogTlsCa ? read('RIPOSTE_SYSLOG_TLS_CA', config.syslogTlsCa) : undefined;
  const passphrase = config.syslogTlsKeyPassphrase;
  const check = <T>(setting: string, what: string, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      throw new ConfigError(`${setting} ${what}: ${(err as Error).message}`);
    }
  };
  check('RIPOSTE_SYSLOG_TLS_CERT', 'is not a PEM certificate', () => tls.createSecureContext({ cert }));
  if (ENCRYPTED_KEY.test(key)) {
    // Node asks no terminal for it: without one, the key fails to open with an obscure OpenSSL error.
    if (passphrase === undefined)
      throw new ConfigError('RIPOSTE_SYSLOG_TLS_KEY is encrypted: set RIPOSTE_SYSLOG_TLS_KEY_PASSPHRASE');
    check('RIPOSTE_SYSLOG_TLS_KEY_PASSPHRASE', 'does not open RIPOSTE_SYSLOG_TLS_KEY', () =>
      tls.createSecureContext({ key, passphrase }),
    );
  } else {
    check('RIPOSTE_SYSLOG_TLS_KEY', 'is not a PEM private key', () => tls.createSecureContext({ key }));
  }
  if (ca !== undefined)
    check('RIPOSTE_SYSLOG_TLS_CA', 'is not a PEM file of CA certificates', () => checkCaCertificates(ca));
  return check('RIPOSTE_SYSLOG_TLS_KEY', 'is not the key of RIPOSTE_SYSLOG_TLS_CERT', () =>
    syslogTlsPems({ cert, key, passphrase, ca }),
  );
}

/** Syslog settings that do nothing in this process, each said once at start. */
export function syslogSettingWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const anyPort =
    config.syslogUdpPort !== undefined ||
    config.syslogTcpPort !== undefined ||
    config.syslogTlsPort !== undefined;
  if (anyPort && config.role === 'worker')
    warnings.push('syslog ports are set but this process has role worker: only api and all processes listen');
  if ((config.syslogTlsCert || config.syslogTlsKey) && config.syslogTlsPort === undefined)
    warnings.push(
      'RIPOSTE_SYSLOG_TLS_CERT or RIPOSTE_SYSLOG_TLS_KEY is set without RIPOSTE_SYSLOG_TLS_PORT: no TLS listener',
    );
  if ((config.syslogTlsCa || config.syslogTlsKeyPassphrase) && config.syslogTlsPort === undefined)
    warnings.push(
      'RIPOSTE_SYSLOG_TLS_CA or RIPOSTE_SYSLOG_TLS_KEY_PASSPHRASE is set without RIPOSTE_SYSLOG_TLS_PORT: no TLS listener',
    );
  return warnings;
}
