import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { demoAlerts } from '../../src/app/demo/demo-alerts.js';
import { dryRunPlaybook, type DryRunResult } from '../../src/app/playbooks/playbook-testing.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { compileExpression } from '../../src/domain/expressions/expression.js';
import { loadPlaybookOrThrow } from '../../src/domain/playbooks/playbook-loader.js';
import { childLists } from '../../src/domain/playbooks/playbook-walk.js';
import type { Playbook, Step } from '../../src/domain/playbooks/playbook.schema.js';
import { mapPayload } from '../../src/ingest/mappers/index.js';

/**
 * Every library playbook dry-run against the real connectors with no fixtures: each action answers with its
 * connector's declared example output, so an input the action would refuse or an output field it never
 * returns (read by a later expression) shows up as CONNECTOR_INVALID_INPUT or EXPRESSION_ERROR.
 */
const dir = fileURLToPath(new URL('../../playbooks/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'));
const registry = createBuiltinRegistry();
const NOW = Date.UTC(2026, 10, 30, 9, 0, 0);

/** A Defender for Office 365 alert as Microsoft Graph (security alerts_v2) sends it. */
const graphPhishingAlert = {
  '@odata.type': '#microsoft.graph.security.alert',
  id: 'fa3f8a1b9c-mdo-0001',
  providerAlertId: 'fa3f8a1b9c',
  serviceSource: 'microsoftDefenderForOffice365',
  detectionSource: 'microsoftDefenderForOffice365',
  title: 'Email messages containing malicious URL removed after delivery',
  category: 'InitialAccess',
  severity: 'medium',
  createdDateTime: '2026-11-25T08:20:00Z',
  evidence: [
    {
      '@odata.type': '#microsoft.graph.security.analyzedMessageEvidence',
      internetMessageId: '<CAB1x2y3@mail.evil.example>',
      networkMessageId: '2b0c1f9e-4a8d-4f5c-9e1b-08dcf0a1b2c3',
      recipientEmailAddress: 'adele.vance@contoso.com',
      p1Sender: { emailAddress: 'billing@evil.example', domainName: 'evil.example' },
      senderIp: '203.0.113.25',
      subject: 'Invoice overdue',
      urls: ['http://evil.example/pay'],
    },
    {
      '@odata.type': '#microsoft.graph.security.mailboxEvidence',
      primaryAddress: 'alex.wilber@contoso.com',
    },
  ],
};

/** The alerts the library's alert triggers are meant for, mapped by the real ingest mappers. */
const alerts = [...demoAlerts(NOW), graphPhishingAlert].map(
  (payload) => mapPayload(payload, { now: NOW }).alert,
);

/** Manual starts need their declared inputs. */
const manualInputs: Record<string, Record<string, unknown>> = {
  'threat-hunting': { type: 'ipv4', value: '203.0.113.7' },
};

const closedCase = { number: 42, status: 'closed', resolution: 'true_positive' };

const matches = (condition: string | undefined, context: Record<string, unknown>): boolean => {
  if (!condition) return true;
  try {
    return compileExpression(condition).evaluate(context) === true;
  } catch {
    return false;
  }
};

interface Start {
  label: string;
  alert?: unknown;
  case?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
}

/** Representative starts of each trigger (every matching alert for an alert trigger), trigger by trigger. */
function startsByTrigger(pb: Playbook): Start[][] {
  return pb.triggers.map((t): Start[] => {
    switch (t.type) {
      case 'alert':
        return alerts
          .filter((alert) => matches(t.condition, { alert, case: null }))
          .map((alert) => ({ label: `alert "${alert.title}"`, alert }));
      case 'case_event':
        return matches(t.condition, { case: closedCase }) ? [{ label: 'case event', case: closedCase }] : [];
      case 'manual':
        return [{ label: 'manual start', inputs: manualInputs[pb.id] ?? {} }];
      default:
        return [{ label: `${t.type} trigger` }];
    }
  });
}

const hasActionStep = (steps: Step[]): boolean =>
  steps.some((s) => s.kind === 'action' || childLists(s).some((c) => hasActionStep(c.steps)));

/** The step failures that mean the playbook does not fit the connectors it calls or the case lifecycle. */
const misfits = (r: DryRunResult): string[] =>
  r.steps
    .filter(
      (e) =>
        e.type === 'step.failed' &&
        ['CONNECTOR_INVALID_INPUT', 'EXPRESSION_ERROR', 'RIPOSTE_ILLEGAL_TRANSITION'].includes(
          e.error?.code ?? '',
        ),
    )
    .map((e) => `${e.stepPath}: ${e.error?.code} ${e.error?.message}`);

describe.each(files)(
  'library playbook %s against the real connectors (example outputs, no fixtures)',
  (file) => {
    const playbook = loadPlaybookOrThrow(readFileSync(`${dir}${file}`, 'utf8'), {
      file,
      describeAction: (a) => registry.describe(a),
    });
    const byTrigger = startsByTrigger(playbook);
    const starts = byTrigger.flat();

    it('has a representative start for every trigger', () => {
      expect(byTrigger.map((s) => s.length > 0)).toEqual(playbook.triggers.map(() => true));
    });

    it.each(starts.map((s) => [s.label, s] as const))(
      'runs from its %s without a misfit',
      (_label, start) => {
        const r = dryRunPlaybook(playbook, {
          alert: start.alert,
          case: start.case,
          inputs: start.inputs,
          approvals: 'approve',
          actions: registry,
        });
        expect(misfits(r)).toEqual([]);
        expect(r.fixtureProblems).toEqual([]);
        // Approved runs end; a run may only wait on what a dry run cannot decide.
        expect(['succeeded', 'waiting']).toContain(r.state.status);
        // The run got as far as calling its connectors (a run that fails before them proves nothing).
        if (hasActionStep(playbook.steps))
          expect(r.effects.filter((e) => e.kind === 'action').length).toBeGreaterThan(0);
      },
    );
  },
);
