import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretEnvVar, secretFromEnvironment } from '../governance/secrets/playbook-secrets.js';
import { ConfigError, describeDatabase, loadConfig } from './config.js';

const tmp = mkdtempSync(join(tmpdir(), 'riposte-config-'));

describe('loadConfig', () => {
  it('gives defaults with no file and no environment', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, role: 'all', dataDir: './data' });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('layers file, environment and overrides in that order', () => {
    const file = join(tmp, 'layers.yaml');
    writeFileSync(file, 'port: 9000\nrole: worker\nlogLevel: debug\n');
    const config = loadConfig({ env: { RIPOSTE_PORT: '9100' }, file, overrides: { logLevel: 'warn' } });
    expect(config).toMatchObject({ port: 9100, role: 'worker', logLevel: 'warn' });
  });

  it('names an unknown key in the file', () => {
    const file = join(tmp, 'unknown.json');
    writeFileSync(file, JSON.stringify({ prot: 80 }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/unknown setting "prot" in .*unknown.json/);
  });

  it('names an unknown RIPOSTE_ variable', () => {
    expect(() => loadConfig({ env: { RIPOSTE_PROT: '1' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { RIPOSTE_PROT: '1' } })).toThrow(/unknown setting RIPOSTE_PROT/);
  });

  it('rejects a bad DATABASE_URL in one line that says what it must be', () => {
    const attempt = () => loadConfig({ env: { DATABASE_URL: 'mysql://x' } });
    expect(attempt).toThrow(/^DATABASE_URL must be a PostgreSQL URL/);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('rejects an out-of-range port and a missing file', () => {
    expect(() => loadConfig({ env: { RIPOSTE_PORT: '70000' } })).toThrow(/^RIPOSTE_PORT /);
    expect(() => loadConfig({ env: {}, file: join(tmp, 'absent.yaml') })).toThrow(
      /cannot be read \(ENOENT\)/,
    );
  });

  it('reads RIPOSTE_TRUST_PROXY as addresses and ranges, or a hop count, and names a wrong entry', () => {
    const trust = (value: string) => loadConfig({ env: { RIPOSTE_TRUST_PROXY: value } }).trustProxy;
    expect(loadConfig({ env: {} }).trustProxy).toBeUndefined();
    expect(trust('10.0.0.5, 10.1.0.0/16,fd00::/8,loopback')).toEqual([
      '10.0.0.5',
      '10.1.0.0/16',
      'fd00::/8',
      'loopback',
    ]);
    expect(trust('2')).toBe(2);
    expect(() => trust('10.0.0.0/33,proxy.local')).toThrow(
      /^RIPOSTE_TRUST_PROXY .*"10\.0\.0\.0\/33", "proxy\.local": not an address, a CIDR range or a hop count/,
    );
  });

  it('hides the database password when describing the store', () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://u:secret@db.local:5432/x' } });
    expect(describeDatabase(config)).toBe('postgres://u:***@db.local:5432/x');
  });

  it('takes RIPOSTE_SECRET_* as playbook secrets, keeping their names and never their values', () => {
    const config = loadConfig({ env: { RIPOSTE_SECRET_FW_TOKEN: 'v4lue' } });
    expect(config.secretVars).toEqual(['RIPOSTE_SECRET_FW_TOKEN']);
    expect(JSON.stringify(config)).not.toContain('v4lue');
    expect(secretEnvVar('fw-token')).toBe('RIPOSTE_SECRET_FW_TOKEN');
    expect(secretFromEnvironment({ RIPOSTE_SECRET_FW_TOKEN: 'v4lue' })('fw_token')).toBe('v4lue');
    expect(() => loadConfig({ env: { RIPOSTE_SECRETS: 'x' } })).toThrow(/unknown setting RIPOSTE_SECRETS/);
  });
});
