import { describe, expect, it } from 'vitest';
import {
  dryRunPlaybook,
  parsePlaybookTests,
  runPlaybookTests,
} from '../../src/app/playbooks/playbook-testing.js';
import { createBuiltinRegistry, type ActionRequest } from '../../src/connectors/index.js';
import { loadPlaybook, loadPlaybookOrThrow } from '../../src/domain/playbooks/playbook-loader.js';
import { createSimulatedExecutor } from '../../src/worker/runs/simulated-executor.js';

const registry = createBuiltinRegistry();

const lookup = (input: string, onError = '') =>
  loadPlaybookOrThrow(
    `id: look\nname: Look\nsteps:\n  - id: look\n    kind: action\n    action: urlhaus.lookup_url\n    input: ${input}\n${onError}`,
  );

const urlhausVerdict = {
  indicator: 'http://evil.example/',
  verdict: 'malicious',
  score: null,
  source: 'urlhaus',
  summary: {},
  reference: null,
};

describe('simulated actions held to the real connector declarations', () => {
  it('fail a step whose input the connector would refuse, with its CONNECTOR_INVALID_INPUT message', () => {
    const r = dryRunPlaybook(lookup('{ url: "http://evil.example/" }'), { actions: registry });
    expect(r.state.status).toBe('failed');
    expect(r.state.error?.code).toBe('CONNECTOR_INVALID_INPUT');
    expect(r.state.error?.message).toBe(
      'input of urlhaus.lookup_url is invalid: value: Invalid input: expected string, received undefined; ' +
        'url: not an input of urlhaus.lookup_url (it accepts value)',
    );
  });

  it('send a refused input to the step on_error like any connector failure', () => {
    const pb = lookup(
      '{ value: "not a url" }',
      '    on_error:\n      - { id: noted, kind: case, op: add_note, input: { body: "{{ steps.look.error.code }}" } }\n',
    );
    const r = dryRunPlaybook(pb, { actions: registry });
    expect(r.state.status).toBe('succeeded');
    expect(r.case.notes).toEqual(['CONNECTOR_INVALID_INPUT']);
  });

  it('answer a fitting input with the connector example when there is no fixture', () => {
    const r = dryRunPlaybook(lookup('{ value: "http://evil.example/" }'), { actions: registry });
    expect(r.state.status).toBe('succeeded');
    const done = r.steps.find((e) => e.type === 'step.succeeded' && e.stepId === 'look');
    expect(done?.output).toEqual(registry.action('urlhaus.lookup_url')?.action.example);
  });

  it('check nothing without a registry, so engine tests can use made-up actions', () => {
    const r = dryRunPlaybook(lookup('{ url: "http://evil.example/" }'), {
      fixtures: { 'urlhaus.lookup_url': { output: { anything: true } } },
    });
    expect(r.state.status).toBe('succeeded');
    expect(r.fixtureProblems).toEqual([]);
  });

  it('report a fixture with a field the vendor never returns, or without one it always returns, as a test bug', () => {
    const tests = parsePlaybookTests(
      [
        'tests:',
        '  - name: extra field',
        '    fixtures: { urlhaus.lookup_url: { output: ' +
          JSON.stringify({ ...urlhausVerdict, hosts: ['a'] }) +
          ' } }',
        '    expect: { status: succeeded }',
        '  - name: missing field',
        '    fixtures: { urlhaus.lookup_url: { output: { verdict: malicious } } }',
        '    expect: { status: failed }',
        '  - name: a real answer',
        '    fixtures: { urlhaus.lookup_url: { output: ' + JSON.stringify(urlhausVerdict) + ' } }',
        '    expect: { status: succeeded }',
      ].join('\n'),
    );
    const { outcomes } = runPlaybookTests(lookup('{ value: "http://evil.example/" }'), tests, {
      actions: registry,
    });
    expect(outcomes.map((o) => o.passed)).toEqual([false, false, true]);
    expect(outcomes[0]?.failures[0]).toBe(
      'fixture for urlhaus.lookup_url does not fit its output: hosts: urlhaus.lookup_url never returns this field',
    );
    // The step fails too, so a test cannot pass on an answer the vendor never gives.
    expect(outcomes[1]?.failures[0]).toContain(
      'indicator: Invalid input: expected string, received undefined',
    );
    expect(outcomes[1]?.result.state.error?.code).toBe('CONNECTOR_INVALID_OUTPUT');
  });

  it('find unknown fields at any depth of a fixture', () => {
    const output = {
      messages: [
        {
          mailbox: 'a@contoso.com',
          id: 'AAMk=',
          subject: null,
          from: null,
          receivedDateTime: null,
          internetMessageId: null,
          folder: 'Inbox',
        },
      ],
      searched: 1,
    };
    const pb = loadPlaybookOrThrow(
      'id: s\nname: S\nsteps:\n  - { id: s, kind: action, action: entra.search_messages, input: { internetMessageId: "<a@b>", mailboxes: [a@contoso.com] } }\n',
    );
    const r = dryRunPlaybook(pb, { actions: registry, fixtures: { 'entra.search_messages': { output } } });
    expect(r.fixtureProblems).toEqual([
      'fixture for entra.search_messages does not fit its output: messages.0.folder: entra.search_messages never returns this field',
    ]);
  });
});

describe('simulated case steps held to the case lifecycle', () => {
  const statuses = (steps: string) => loadPlaybookOrThrow(`id: life\nname: Life\nsteps:\n${steps}`);

  it('refuse a status change the lifecycle does not allow, as the store would', () => {
    const r = dryRunPlaybook(
      statuses('  - { id: contain, kind: case, op: set_status, input: { status: containment } }\n'),
      {},
    );
    expect(r.state.error).toMatchObject({
      code: 'RIPOSTE_ILLEGAL_TRANSITION',
      message: 'cannot move a case from new to containment: not a step of the incident lifecycle',
    });
    expect(r.case.status).toBe('new');
  });

  it('follow the phases in order', () => {
    const r = dryRunPlaybook(
      statuses(
        '  - { id: triage, kind: case, op: set_status, input: { status: triage } }\n' +
          '  - { id: contain, kind: case, op: set_status, input: { status: containment } }\n',
      ),
      {},
    );
    expect(r.state.status).toBe('succeeded');
    expect(r.case.status).toBe('containment');
  });
});

describe('the simulated executor', () => {
  const request = (action: string, input: Record<string, unknown>): ActionRequest => ({
    action,
    input,
    idempotencyKey: 'k',
    dryRun: true,
    context: { runId: 'r', stepId: 's', playbookId: 'p' },
  });
  const signal = new AbortController().signal;

  it('refuses an input the known action would refuse, and answers a fitting one with its example', async () => {
    const executor = createSimulatedExecutor([], {}, registry);
    await expect(
      executor.execute(request('cloudflare.block_ip', { ip: '203.0.113.7', note: 'x' }), signal),
    ).rejects.toMatchObject({
      code: 'CONNECTOR_INVALID_INPUT',
      message:
        'input of cloudflare.block_ip is invalid: note: not an input of cloudflare.block_ip (it accepts ip, mode, notes)',
      retryable: false,
    });
    const ok = await executor.execute(
      request('cloudflare.block_ip', { ip: '203.0.113.7', notes: 'x' }),
      signal,
    );
    expect(ok.output).toEqual(registry.action('cloudflare.block_ip')?.action.example);
    expect(executor.describe('cloudflare.block_ip')?.risk).toBe('contain');
    expect(executor.requests).toHaveLength(2);
  });

  it('refuses a fixture output the action never returns', async () => {
    const executor = createSimulatedExecutor(
      [],
      { 'entra.revoke_sessions': { output: { revoked: true } } },
      registry,
    );
    await expect(
      executor.execute(request('entra.revoke_sessions', { user: 'a@contoso.com' }), signal),
    ).rejects.toMatchObject({ code: 'CONNECTOR_INVALID_OUTPUT' });
  });

  it('checks nothing without a registry', async () => {
    const executor = createSimulatedExecutor([], { 'cloudflare.block_ip': { output: { made: 'up' } } });
    const r = await executor.execute(request('cloudflare.block_ip', { note: 'x' }), signal);
    expect(r.output).toEqual({ made: 'up' });
    await expect(executor.execute(request('nobody.nothing', {}), signal)).rejects.toMatchObject({
      code: 'CONNECTOR_UNKNOWN_ACTION',
    });
  });
});

describe('playbook validation against the action declarations', () => {
  const describeAction = (a: string) => registry.describe(a);
  const text = [
    'id: keys',
    'name: Keys',
    'steps:',
    '  - id: block',
    '    kind: action',
    '    action: cloudflare.block_ip',
    "    input: { ip: '{{ alert.title }}', note: x }",
    '  - id: reset',
    '    kind: action',
    '    action: entra.reset_password',
    '  - id: made_up',
    '    kind: action',
    '    action: acme.anything',
    '    input: { whatever: 1 }',
    '',
  ].join('\n');

  it('lists undeclared and missing required input keys with the step path, line and the accepted keys', () => {
    const { problems } = loadPlaybook(text, { file: 'keys.yaml', describeAction });
    expect(problems).toEqual([
      {
        file: 'keys.yaml',
        path: 'steps[0].input.note',
        line: 7,
        column: 45,
        message: 'action cloudflare.block_ip has no input note',
        hint: 'cloudflare.block_ip accepts: ip (required), mode, notes',
      },
      {
        file: 'keys.yaml',
        path: 'steps[1]',
        line: 8,
        column: 5,
        message: 'action entra.reset_password needs input user',
        hint: 'entra.reset_password accepts: user (required)',
      },
    ]);
  });

  it('checks no keys without a descriptor lookup', () => {
    expect(loadPlaybook(text).problems).toEqual([]);
  });

  it('checks an approval step’s notify targets: an action made for it, to exactly for link buttons, its keys', () => {
    const approval = (notify: string) =>
      [
        'id: ask',
        'name: Ask',
        'steps:',
        '  - id: ask',
        '    kind: approval',
        '    message: Go?',
        '    approvers: [approver]',
        '    notify:',
        ...notify.split('\n').map((l) => `      ${l}`),
        '',
      ].join('\n');
    const problemsOf = (notify: string) =>
      loadPlaybook(approval(notify), {
        describeAction,
        actionExists: (a) => registry.describe(a) !== undefined,
      }).problems.map((p) => `${p.path}: ${p.message}`);
    expect(problemsOf('- { action: teams.request_approval, to: [ana], input: { text: hi } }')).toEqual([]);
    expect(problemsOf('- { action: slack.request_approval, input: { channel: "#soc" } }')).toEqual([]);
    expect(problemsOf('- { action: teams.request_approval }')).toEqual([
      'steps[0].notify[0]: teams.request_approval carries signed approval links: say whose, with to',
    ]);
    expect(problemsOf('- { action: slack.request_approval, to: [ana] }')).toEqual([
      "steps[0].notify[0].to: slack.request_approval's buttons call back into Riposte: to does not apply",
    ]);
    expect(problemsOf('- { action: slack.post_message, input: { text: hi } }')).toEqual([
      'steps[0].notify[0].action: action slack.post_message cannot carry an approval request',
    ]);
    expect(problemsOf('- { action: acme.ask }')).toEqual([
      'steps[0].notify[0].action: no connector provides action acme.ask',
    ]);
    expect(
      problemsOf('- { action: teams.request_approval, to: [ana], input: { approveUrl: x, colour: red } }'),
    ).toEqual([
      'steps[0].notify[0].input.approveUrl: approveUrl is filled in by Riposte for the approval',
      'steps[0].notify[0].input.colour: action teams.request_approval has no input colour',
    ]);
    // The notify input is a template like any other: a broken expression is found before a run.
    expect(
      problemsOf('- { action: slack.request_approval, input: { text: "{{ inputs.nope }}" } }').join('\n'),
    ).toContain('notify[0].input');
  });

  it('simulate case steps as a real case takes them: a template adds its checklist once, the same status is done', () => {
    const pb = loadPlaybookOrThrow(
      [
        'id: checklist',
        'name: Checklist',
        'steps:',
        '  - { id: t1, kind: case, op: apply_template, input: { case_type: malware } }',
        '  - { id: t2, kind: case, op: apply_template, input: { case_type: malware } }',
        '  - { id: s1, kind: case, op: set_status, input: { status: triage } }',
        '  - { id: s2, kind: case, op: set_status, input: { status: triage } }',
        '  - { id: bad, kind: case, op: apply_template, input: { case_type: unknown } }',
        '',
      ].join('\n'),
    );
    const r = dryRunPlaybook(pb, { actions: registry });
    expect(r.case.tasks).toContain('Isolate affected hosts');
    expect(r.case.tasks.filter((t) => t === 'Isolate affected hosts')).toHaveLength(1);
    expect(r.case.status).toBe('triage');
    expect(r.state.status).toBe('failed');
    expect(r.state.error?.message).toContain('no task template for case type unknown');
  });
});
