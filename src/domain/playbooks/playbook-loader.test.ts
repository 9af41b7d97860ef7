import { describe, expect, it } from 'vitest';
import { loadPlaybook, loadPlaybookOrThrow } from './playbook-loader.js';
import { playbookJsonSchema } from './playbook.schema.js';

const good = `
id: triage
name: Triage
inputs:
  ip: { type: string }
secrets: [vt_key]
triggers:
  - type: alert
    condition: alert.severity == "high"
steps:
  - id: lookup
    kind: action
    action: vt.lookup_ip
    input:
      ip: "{{ inputs.ip }}"
      key: "{{ secrets.vt_key }}"
  - id: decide
    kind: if
    condition: steps.lookup.output.malicious > 3
    then:
      - id: block
        kind: action
        action: fw.block_ip
        input: { ip: "{{ inputs.ip }}" }
    else:
      - id: note
        kind: case
        op: add_note
        input: { body: "benign: {{ steps.lookup.output.malicious }}" }
  - id: each
    kind: foreach
    items: alert.observables
    as: obs
    do:
      - id: tag
        kind: set
        vars: { last: "{{ obs.value }}" }
  - id: done
    kind: succeed
`;

describe('loadPlaybook', () => {
  it('accepts a valid playbook', () => {
    const { playbook, problems } = loadPlaybook(good, { actionExists: (a) => a.includes('.') });
    expect(problems).toEqual([]);
    expect(playbook?.steps).toHaveLength(4);
  });

  it('reports a YAML syntax error with line and column', () => {
    const { problems } = loadPlaybook('id: x\nname: [unclosed\n', { file: 'p.yaml' });
    expect(problems[0]).toMatchObject({ file: 'p.yaml', line: expect.any(Number) });
  });

  it('lists every schema problem with its position and a hint', () => {
    const text = `id: x
name: X
steps:
  - id: a
    kind: bogus
  - id: b
    kind: set
    vars: { v: 1 }
    colour: red
`;
    const { problems } = loadPlaybook(text, { file: 'x.yaml' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ path: 'steps[0].kind', line: 5, column: 11 });
    expect(problems[0]?.hint).toContain('action, if, switch');
    expect(problems[1]).toMatchObject({
      path: 'steps[1]',
      line: 6,
      message: expect.stringContaining('colour'),
    });
  });

  it('lists every semantic problem: cycles, unreachable steps, undefined names, types, unknown actions', () => {
    const text = `id: bad
name: Bad
steps:
  - id: a
    kind: action
    action: nope.nothing
    input: { x: "{{ steps.ghost.output }}" }
  - id: b
    kind: if
    condition: alert.count + 1
    then:
      - { id: c, kind: set, vars: { y: "{{ vars.undefined_var }}" } }
    next: a
  - id: d
    kind: succeed
  - id: e
    kind: set
    vars: { z: "{{ inputs.missing + secrets.nokey }}" }
  - id: f
    kind: wait
    until: "1 +"
`;
    const { problems } = loadPlaybook(text, { actionExists: () => false });
    const messages = problems.map((p) => p.message).join('\n');
    expect(messages).toContain('no connector provides action nope.nothing');
    expect(messages).toContain('step ghost');
    expect(messages).toContain('variable undefined_var');
    expect(messages).toContain('not a bool');
    expect(messages).toContain('form a cycle');
    expect(messages).toContain('step d can never run');
    expect(messages).toContain('step e can never run');
    expect(messages).toContain('input missing');
    expect(messages).toContain('secret nokey');
    expect(messages).toMatch(/expression `1 \+`/);
    for (const p of problems) expect(p.line).toBeGreaterThan(0);
    const cycle = problems.find((p) => p.message.includes('cycle'));
    expect(cycle?.line).toBe(4);
  });

  it('throws a validation error carrying the problems', () => {
    expect(() => loadPlaybookOrThrow('id: x\nname: y\nsteps: []\n', { file: 'f.yaml' })).toThrow(
      /f.yaml is invalid/,
    );
  });

  it('rejects duplicate ids and a wait without a target', () => {
    const { problems } = loadPlaybook(
      'id: x\nname: y\nsteps:\n  - {id: a, kind: wait}\n  - {id: a, kind: succeed}\n',
    );
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'step id a is used twice',
        'a wait step needs exactly one of duration, until or event',
      ]),
    );
  });
});

describe('playbookJsonSchema', () => {
  it('publishes the step kinds and required fields', () => {
    const text = JSON.stringify(playbookJsonSchema());
    expect(text).toContain('"const":"foreach"');
    expect(text).toContain('"required"');
  });
});
