import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, lazyChild } from './logger.js';

/** A logger at `info` writing into an array, one parsed object per line. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

describe('a request logger made on its first line', () => {
  it('writes what the child would have: its bindings, the level, redaction', () => {
    const { log, lines } = capturedLogger();
    const request = lazyChild(log, { reqId: 'r1' });
    request.info({ password: 'hunter2', user: 'ana' }, 'signed in');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      reqId: 'r1',
      level: 30,
      msg: 'signed in',
      user: 'ana',
      password: '[redacted]',
    });
    request.child({ runId: 'run-1' }).warn('nested');
    expect(lines[1]).toMatchObject({ reqId: 'r1', runId: 'run-1', msg: 'nested' });
  });

  it("redacts the configuration's secrets wherever a line carries them", () => {
    const { log, lines } = capturedLogger();
    const config = {
      host: '0.0.0.0',
      syslogTlsKeyPassphrase: 'pass-phrase',
      oidcClientSecret: 'oidc-secret',
      masterKeyPrevious: 'old-master-key',
      databaseUrl: 'postgres://u:p@db/x',
    };
    log.info({ config, syslogTlsKeyPassphrase: 'pass-phrase' }, 'started');
    expect(JSON.stringify(lines)).not.toMatch(/pass-phrase|oidc-secret|old-master-key|u:p@/);
    expect(lines[0]).toMatchObject({ config: { host: '0.0.0.0' } });
  });

  it('makes no child until a line at its level is written, and one at most', () => {
    const { log, lines } = capturedLogger();
    const made = vi.spyOn(log, 'child');
    const request = lazyChild(log, { reqId: 'r2' }, { level: 'warn' });
    request.info('below');
    request.debug('below');
    expect(made).not.toHaveBeenCalled();
    expect(request.level).toBe('warn');
    request.warn('at');
    request.error('above');
    request.info('still below');
    expect(made).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => l.msg)).toEqual(['at', 'above']);
  });

  it('takes a level set before it is made', () => {
    const { log, lines } = capturedLogger();
    const request = lazyChild(log, { reqId: 'r3' });
    request.debug('hidden');
    request.level = 'debug';
    request.debug('shown');
    expect(request.level).toBe('debug');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
