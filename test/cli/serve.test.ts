import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/program.js';
import { CLI_ENTRY, runCli, spawnCli } from '../support/processes.js';

const dataDir = mkdtempSync(join(tmpdir(), 'riposte-serve-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { RIPOSTE_DATA_DIR: dataDir, RIPOSTE_LOG_LEVEL: 'warn', ...env });

describe('riposte serve', () => {
  it('starts on the embedded store with the runtime settings its first line asks for, answers readiness, and stops cleanly on SIGTERM', async () => {
    const child = spawnCli(['serve', '--port', '0'], {
      env: { RIPOSTE_DATA_DIR: dataDir, RIPOSTE_LOG_LEVEL: 'info' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const match = /listening on (http:\/\/[^\s]+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    // What the first line asked for reached the server's own process (env execs Node in its place).
    expect(readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0')).toContain(
      'GLIBC_TUNABLES=glibc.malloc.trim_threshold=33554432',
    );
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')).toContain(
      '--max-semi-space-size=64',
    );
    expect(await ready.json()).toMatchObject({ status: 'ok', store: 'sqlite', role: 'all' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('riposte stopped');
  });

  it('stops with one line that names a bad setting', async () => {
    const res = await cli(['migrate'], { RIPOSTE_PORT: 'eighty' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^riposte: RIPOSTE_PORT /);
  });

  it('stops with one line when the database cannot be reached', async () => {
    const res = await cli(['migrate'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe(
      'riposte: cannot reach PostgreSQL at postgres://nobody@127.0.0.1:1/none: nothing listens there: is PostgreSQL running?',
    );
  });

  it('stops with one line when the port is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const res = await cli(['serve', '--port', String(port)]);
      expect(res.code).toBe(2);
      expect(res.stderr.trim()).toBe(
        `riposte: port ${port} on 127.0.0.1 is already in use: stop the other process or set RIPOSTE_PORT`,
      );
    } finally {
      blocker.close();
    }
  });

  it('migrates an empty PostgreSQL schema and reports it up to date the second time', async () => {
    const schema = `t_${process.pid}_cli00001`;
    const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', RIPOSTE_DATABASE_SCHEMA: schema };
    try {
      const first = await cli(['migrate'], env);
      expect(first.stdout).toMatch(/applied \d+ migration\(s\)/);
      const second = await cli(['migrate'], env);
      expect(second.stdout).toContain('is up to date');
    } finally {
      const { dropPostgresSchema } = await import('../../src/store/dialects/postgres.js');
      await dropPostgresSchema('postgres://postgres@127.0.0.1:5432/test', schema);
    }
  });

  it('runs as an executable through its first line, with the young generation and malloc trim threshold it asks for', async () => {
    // As npm's bin link runs it: the file itself (the build makes it executable), so the kernel reads its `#!`
    // line. A flag that Node refuses, or an `env` without -S, fails here rather than on a user's machine.
    expect(readFileSync(CLI_ENTRY, 'utf8').split('\n', 1)[0]).toBe(
      '#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.trim_threshold=33554432 node --max-semi-space-size=64',
    );
    const out = await runCli(['--version']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(VERSION);
  });

  it('lists every command with examples in --help', async () => {
    const res = await cli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('serve');
    expect(res.stdout).toContain('migrate');
    expect(res.stdout).toContain('Examples:');
    const serveHelp = await cli(['serve', '--help']);
    expect(serveHelp.stdout).toContain('--role <role>');
    expect(serveHelp.stdout).toContain('Examples:');
  });

  it('shows a command whole, though its module loads only when it runs', async () => {
    // `help <command>` as well as `<command> --help`: both show its subcommands.
    for (const args of [
      ['help', 'user'],
      ['user', '--help'],
    ]) {
      const res = await cli(args);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/add \[options\] <username>/);
      expect(res.stdout).toContain('disable');
    }
    const unknown = await cli(['help', 'nonsense']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'nonsense'");
    const missing = await cli(['user', 'add']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("missing required argument 'username'");
  });
});
