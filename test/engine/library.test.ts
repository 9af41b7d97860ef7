import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePlaybookTests, runPlaybookTests } from '../../src/app/playbooks/playbook-testing.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { loadPlaybook } from '../../src/domain/playbooks/playbook-loader.js';

// The library is held to the real connectors: input keys at validation, inputs and fixtures in the tests.
const registry = createBuiltinRegistry();

const dir = fileURLToPath(new URL('../../playbooks/', import.meta.url));
const playbooks = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'));

describe('the built-in playbook library', () => {
  it('covers the uses teams automate first', () => {
    expect(playbooks).toEqual(
      expect.arrayContaining([
        'phishing-triage.yaml',
        'malicious-ip-containment.yaml',
        'malware-outbreak.yaml',
        'account-compromise.yaml',
        'vulnerability-to-patch.yaml',
        'threat-hunting.yaml',
        'compliance-evidence.yaml',
      ]),
    );
  });

  describe.each(playbooks)('%s', (file) => {
    it('is valid, has tests beside it, passes them, and they cover every step and branch', () => {
      const { playbook, problems } = loadPlaybook(readFileSync(`${dir}${file}`, 'utf8'), {
        file,
        actionExists: (a) => registry.action(a) !== undefined,
        describeAction: (a) => registry.describe(a),
      });
      expect(problems).toEqual([]);
      if (!playbook) return;
      expect(playbook.time_saved_minutes).toBeGreaterThan(0);
      const tests = parsePlaybookTests(
        readFileSync(`${dir}${file.replace(/\.yaml$/, '.test.yaml')}`, 'utf8'),
      );
      const { outcomes, coverage } = runPlaybookTests(playbook, tests, { actions: registry });
      expect(outcomes.filter((o) => !o.passed).map((o) => `${o.name}: ${o.failures.join('; ')}`)).toEqual([]);
      expect(coverage.steps.missed).toEqual([]);
      expect(coverage.branches.missed).toEqual([]);
    });
  });
});
