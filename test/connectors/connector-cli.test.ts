import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/processes.js';
import { blocklistFake } from './fakes/blocklist.fake.js';
import { startFakeServer, type FakeServer } from './fakes/fake-server.js';

const TOKEN = 'cli-token-secret-0042';

// Each call starts the built CLI in a process of its own (over a second on a loaded machine): generous timeouts.
describe('riposte connector / containment', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'riposte-connector-cli-'));
  const cli = (...args: string[]) =>
    runCli(args, { RIPOSTE_DATA_DIR: dataDir, DATABASE_URL: '', FW_TOKEN: TOKEN });
  let server: FakeServer;

  beforeAll(async () => {
    server = await startFakeServer(blocklistFake({ token: TOKEN, entries: new Set() }));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds an instance with a secret from the environment, lists it redacted, and tests it', async () => {
    const add = await cli(
      'connector',
      'add',
      'blocklist',
      'edge-fw',
      '--set',
      `baseUrl=${server.url}`,
      '--set-env',
      'token=FW_TOKEN',
      '--default',
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).not.toContain(TOKEN);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    const list = await cli('connector', 'list');
    expect(list.stdout).toContain('"token": "set"');
    expect(list.stdout).not.toContain(TOKEN);
    const test = await cli('connector', 'test', 'edge-fw');
    expect(test.stdout).toMatch(/^ok: edge-fw \(blocklist\)/);
    expect(test.code).toBe(0);
  }, 120_000);

  it('rotates the master key and the instance still works', async () => {
    const before = readFileSync(join(dataDir, 'master.key'), 'utf8');
    const rotate = await cli('connector', 'rotate-key', '--settle-ms', '200');
    expect(rotate.stdout).toMatch(/re-sealed 1 connector instance\(s\) and 0 ingest source secret/);
    expect(rotate.stdout).toMatch(/after 200 ms, the sweep re-sealed 0 straggler\(s\)/);
    expect(existsSync(join(dataDir, 'master.key.previous'))).toBe(false);
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).not.toBe(before);
    expect((await cli('connector', 'test', 'edge-fw')).code).toBe(0);
  }, 120_000);

  it('fails the test with exit code 1 and a clear message when the endpoint refuses', async () => {
    await cli('connector', 'update', 'edge-fw', '--set', 'token=wrong-token-777');
    const test = await cli('connector', 'test', 'edge-fw');
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(/FAILED: .*refused the credentials/);
    expect(test.stdout).not.toContain('wrong-token-777');
  }, 120_000);

  it('manages protected assets and lists containments', async () => {
    expect((await cli('containment', 'protect', 'ip', '10.0.0.0/8', '--reason', 'internal')).stdout).toMatch(
      /protected ip 10\.0\.0\.0\/8/,
    );
    expect((await cli('containment', 'protected')).stdout).toContain('internal');
    const list = await cli('containment', 'list');
    expect(list.code).toBe(0);
    expect(list.stderr).toContain('no containments');
    const bad = await cli('containment', 'undo', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('containment nope does not exist');
  }, 120_000);
});
