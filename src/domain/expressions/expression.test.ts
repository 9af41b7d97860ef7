import { describe, expect, it } from 'vitest';
import { checkExpression, compileExpression, ExpressionError } from './expression.js';
import { redactSecrets, revealSecrets, scrubSecretValues, secretMarker } from './secrets.js';
import { ExpressionCache, templateExpressions } from './template.js';

describe('CEL expressions', () => {
  it('evaluates over JSON with ints and doubles as JSON numbers', () => {
    const e = compileExpression('alert.count + 1 > 2 && alert.score > 1.5');
    expect(e.evaluate({ alert: { count: 2, score: 2.5 } })).toBe(true);
    expect(compileExpression('alert.tags.map(t, t + "!")').evaluate({ alert: { tags: ['a'] } })).toEqual([
      'a!',
    ]);
    expect(compileExpression('size(alert.tags) * 2').evaluate({ alert: { tags: [1, 2] } })).toBe(4);
  });

  it('reports parse errors, unknown names and type errors without evaluating', () => {
    expect(() => compileExpression('1 +')).toThrow(ExpressionError);
    expect(checkExpression('nope.x == 1')).toMatchObject({
      ok: false,
      error: expect.stringContaining('nope'),
    });
    expect(checkExpression('1 + "a"')).toMatchObject({ ok: false });
    expect(checkExpression('alert.x == 1')).toEqual({ ok: true, type: 'bool' });
    expect(checkExpression('item.id', ['item'])).toMatchObject({ ok: true });
  });

  it('converts only the variables an expression reads', () => {
    // A variable the expression never reads is never walked: here it would throw if it were.
    const unread = {
      get deep(): unknown {
        throw new Error('an unread variable was converted');
      },
    };
    const e = compileExpression('inputs.ip == "10.0.0.1" && vars.n + 1 == 3');
    expect(e.evaluate({ inputs: { ip: '10.0.0.1' }, vars: { n: 2 }, steps: unread })).toBe(true);
    // Names that are not the context's own properties stay unknown variables.
    expect(() => compileExpression('item').evaluate({ inputs: {} })).toThrow(ExpressionError);
  });

  it('cannot reach the host', () => {
    for (const src of ['alert.constructor', 'alert.__proto__', 'Function("return 1")'])
      expect(() => compileExpression(src).evaluate({ alert: {} })).toThrow();
  });
});

describe('templates', () => {
  const cache = new ExpressionCache();
  it('keeps the type of a whole-string expression and interpolates text otherwise', () => {
    const ctx = { alert: { ips: ['1.1.1.1'], n: 3 } };
    expect(
      cache.render({ a: '{{ alert.ips }}', b: 'n={{ alert.n }}', c: ['{{ alert.n }}'], d: 7 }, ctx),
    ).toEqual({ a: ['1.1.1.1'], b: 'n=3', c: [3], d: 7 });
    expect(templateExpressions({ x: 'a {{ steps.a.output }} b {{ vars.v }}' })).toEqual([
      'steps.a.output',
      'vars.v',
    ]);
  });
});

describe('secrets', () => {
  it('are markers in state, real only at the call, and redacted in records and errors', () => {
    const input = { auth: `Bearer ${secretMarker('token')}` };
    expect(redactSecrets(input)).toEqual({ auth: 'Bearer ***' });
    expect(revealSecrets(input, () => 'abc123')).toEqual({ auth: 'Bearer abc123' });
    expect(() => revealSecrets(input, () => undefined)).toThrow(/token is not configured/);
    expect(scrubSecretValues('401 for key abc123', ['abc123'])).toBe('401 for key ***');
  });

  it('redact a copy of what holds a marker, leave the original as it was, and share what holds none', () => {
    const plain = { ip: '10.0.0.1', tags: ['a', 'b'] };
    const value = { plain, headers: [{ auth: `Bearer ${secretMarker('token')}` }], n: 1 };
    const redacted = redactSecrets(value) as typeof value;
    expect(redacted).toEqual({ plain, headers: [{ auth: 'Bearer ***' }], n: 1 });
    expect(value.headers[0]?.auth).toBe(`Bearer ${secretMarker('token')}`);
    expect(redacted.plain).toBe(plain);
    expect(redactSecrets(plain)).toBe(plain);
  });
});
