import { describe, expect, it } from 'vitest';
import { RiposteError } from '../shared/errors.js';
import { allowedTransitions, planMergeClosure, planTransition } from './case-lifecycle.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof RiposteError) return `${err.code} ${err.message}`;
    throw err;
  }
  return 'no error';
};

describe('case lifecycle', () => {
  it('walks the NIST phases in order and closes from recovery as resolved', () => {
    expect(planTransition('new', 'triage')).toEqual({
      from: 'new',
      to: 'triage',
      resolution: null,
      reopened: false,
    });
    expect(planTransition('triage', 'containment').to).toBe('containment');
    expect(planTransition('containment', 'eradication').to).toBe('eradication');
    expect(planTransition('eradication', 'recovery').to).toBe('recovery');
    expect(planTransition('recovery', 'closed', 'resolved')).toMatchObject({
      to: 'closed',
      resolution: 'resolved',
    });
  });

  it('closes from triage only as false_positive, benign or duplicate', () => {
    for (const r of ['false_positive', 'benign', 'duplicate'] as const) {
      expect(planTransition('triage', 'closed', r).resolution).toBe(r);
    }
    expect(codeOf(() => planTransition('triage', 'closed', 'resolved'))).toMatch(
      /RIPOSTE_ILLEGAL_TRANSITION/,
    );
  });

  it('refuses skipped phases with a 409 naming from and to', () => {
    const err = codeOf(() => planTransition('new', 'containment'));
    expect(err).toMatch(/^RIPOSTE_ILLEGAL_TRANSITION/);
    expect(err).toContain('from new to containment');
    expect(codeOf(() => planTransition('containment', 'closed', 'resolved'))).toContain(
      'from containment to closed',
    );
    expect(codeOf(() => planTransition('triage', 'triage'))).toContain('already triage');
    try {
      planTransition('new', 'recovery');
    } catch (err) {
      expect((err as RiposteError).status).toBe(409);
    }
  });

  it('requires a resolution to close and refuses one elsewhere', () => {
    expect(codeOf(() => planTransition('recovery', 'closed'))).toMatch(
      /RIPOSTE_UNPROCESSABLE.*needs a resolution/,
    );
    expect(codeOf(() => planTransition('new', 'triage', 'benign'))).toMatch(/RIPOSTE_UNPROCESSABLE/);
  });

  it('reopens a closed case into triage and says so', () => {
    expect(planTransition('closed', 'triage')).toEqual({
      from: 'closed',
      to: 'triage',
      resolution: null,
      reopened: true,
    });
    expect(allowedTransitions('closed')).toEqual(['triage']);
    expect(codeOf(() => planTransition('closed', 'containment'))).toMatch(/ILLEGAL/);
  });

  it('closes a merged case as a duplicate from any open phase, never a closed one', () => {
    expect(planMergeClosure('eradication')).toMatchObject({ to: 'closed', resolution: 'duplicate' });
    expect(codeOf(() => planMergeClosure('closed'))).toMatch(/ILLEGAL/);
  });
});
