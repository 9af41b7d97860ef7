import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/processes.js';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, env);

describe('riposte playbook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-pb-cli-'));

  it('prints the JSON Schema', async () => {
    const { code, stdout } = await cli(['playbook', 'schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['id', 'name', 'steps']),
    });
  });

  it('validates files, listing every problem with file, line and column, and fails on any', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'id: bad\nname: Bad\nsteps:\n  - { id: a, kind: set, vars: { x: "{{ vars.nope }}" } }\n  - { id: b, kind: teleport }\n',
    );
    const { code, stdout } = await cli(['playbook', 'validate', bad, 'playbooks/phishing-triage.yaml']);
    expect(code).toBe(1);
    expect(stdout).toContain(`${bad}:5:`);
    expect(stdout).toContain('hint: a step kind is one of');
    expect(stdout).toContain('playbooks/phishing-triage.yaml: ok');
  });

  it('dry-runs a playbook against an alert and prints the actions it would take, with inputs', async () => {
    const alert = join(dir, 'alert.json');
    writeFileSync(
      alert,
      JSON.stringify({ observables: [{ type: 'ipv4', value: '203.0.113.77', role: 'source' }] }),
    );
    const fixtures = join(dir, 'fixtures.yaml');
    writeFileSync(
      fixtures,
      'abuseipdb.check_ip:\n  output: { indicator: 203.0.113.77, verdict: malicious, score: 99, source: abuseipdb, summary: {}, reference: null }\n',
    );
    const { code, stdout } = await cli([
      'playbook',
      'run',
      '--dry-run',
      'playbooks/malicious-ip-containment.yaml',
      '--alert',
      alert,
      '--fixtures',
      fixtures,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('step.branch     triage → case0');
    expect(stdout).toContain('cloudflare.block_ip {"ip":"203.0.113.77"');
    expect(stdout).toContain('run succeeded');
  });

  it('checks action inputs against the real connectors: keys at validation, values in a dry run', async () => {
    const file = join(dir, 'misfit.yaml');
    writeFileSync(
      file,
      'id: misfit\nname: Misfit\nsteps:\n  - id: look\n    kind: action\n    action: urlhaus.lookup_url\n    input: { url: "http://evil.example/" }\n',
    );
    const validated = await cli(['playbook', 'validate', file]);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain(`${file}:7:`);
    expect(validated.stdout).toContain('action urlhaus.lookup_url has no input url');
    expect(validated.stdout).toContain('hint: urlhaus.lookup_url accepts: value (required)');

    // Keys right, value wrong: only running it can tell, and the dry run fails as the connector would.
    writeFileSync(
      file,
      'id: misfit\nname: Misfit\nsteps:\n  - id: look\n    kind: action\n    action: urlhaus.lookup_url\n    input: { value: "not a url" }\n',
    );
    const ran = await cli(['playbook', 'run', '--dry-run', file]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(
      'step.failed     look (CONNECTOR_INVALID_INPUT: input of urlhaus.lookup_url is invalid: value:',
    );
  });

  it('refuses a fixture the vendor could never return', async () => {
    const fixtures = join(dir, 'wrong-fixtures.yaml');
    writeFileSync(fixtures, 'urlhaus.lookup_url: { output: { verdict: malicious, hosts: [a] } }\n');
    const alert = join(dir, 'phish.json');
    writeFileSync(
      alert,
      JSON.stringify({ category: 'phishing', observables: [{ type: 'url', value: 'http://evil.example/' }] }),
    );
    const { code, stdout } = await cli([
      'playbook',
      'run',
      '--dry-run',
      'playbooks/phishing-triage.yaml',
      '--alert',
      alert,
      '--fixtures',
      fixtures,
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('fixture problem: fixture for urlhaus.lookup_url does not fit its output');
    expect(stdout).toContain('hosts: urlhaus.lookup_url never returns this field');
  });

  it('runs the library tests with coverage', async () => {
    const { code, stdout } = await cli(['playbook', 'test', 'playbooks']);
    expect(code).toBe(0);
    expect(stdout).toContain('playbooks/phishing-triage.yaml');
    expect(stdout).toContain('coverage: steps 16/16 (100%), branches 2/2 (100%)');
    expect(stdout).toContain('all playbook tests passed');
  });

  it(
    'publishes versions, lists them and diffs a change against the active one',
    // Five CLI processes one after another; on a loaded shared machine each start alone can take 20 s.
    { timeout: 300_000 },
    async () => {
      const env = { RIPOSTE_DATA_DIR: dir, DATABASE_URL: '' };
      const file = join(dir, 'mini.yaml');
      writeFileSync(file, 'id: mini\nname: Mini\nsteps:\n  - { id: a, kind: set, vars: { x: 1 } }\n');
      expect((await cli(['--data-dir', dir, 'playbook', 'publish', file], env)).stdout).toContain(
        'mini version 1 saved, active',
      );
      expect((await cli(['--data-dir', dir, 'playbook', 'publish', file], env)).stdout).toContain(
        'mini version 1 unchanged',
      );
      writeFileSync(file, 'id: mini\nname: Mini\nsteps:\n  - { id: a, kind: set, vars: { x: 2 } }\n');
      const diff = await cli(['--data-dir', dir, 'playbook', 'diff', file], env);
      expect(diff.stdout).toContain('-4:   - { id: a, kind: set, vars: { x: 1 } }');
      expect(diff.stdout).toContain('+4:   - { id: a, kind: set, vars: { x: 2 } }');
      expect((await cli(['--data-dir', dir, 'playbook', 'publish', file], env)).stdout).toContain(
        'mini version 2 saved, active',
      );
      expect((await cli(['--data-dir', dir, 'playbook', 'list'], env)).stdout).toContain(
        'mini\tactive 2\tlatest 2\tMini',
      );
    },
  );
});
