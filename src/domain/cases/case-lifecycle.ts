import { RiposteError } from '../shared/errors.js';
import { CaseStatus } from './case.js';

/** Why a case closed. `resolved` ends a worked incident; the others end it at triage. */
export const CaseResolution = ['resolved', 'false_positive', 'benign', 'duplicate'] as const;
export type CaseResolution = (typeof CaseResolution)[number];

/** The NIST SP 800-61 order, each phase and the phases an analyst may move it to. */
const FORWARD: Record<CaseStatus, readonly CaseStatus[]> = {
  new: ['triage'],
  triage: ['containment', 'closed'],
  containment: ['eradication'],
  eradication: ['recovery'],
  recovery: ['closed'],
  // Reopening goes back to triage: someone has to look at it again before anything else happens.
  closed: ['triage'],
};

/** Resolutions each phase may close with: triage ends a non-incident, recovery ends a real one. */
const CLOSURES: Partial<Record<CaseStatus, readonly CaseResolution[]>> = {
  triage: ['false_positive', 'benign', 'duplicate'],
  recovery: ['resolved'],
};

/** What a checked transition does; the caller records it on the timeline as is. */
export interface TransitionPlan {
  from: CaseStatus;
  to: CaseStatus;
  resolution: CaseResolution | null;
  reopened: boolean;
}

const illegal = (from: CaseStatus, to: CaseStatus, why: string): RiposteError =>
  new RiposteError('RIPOSTE_ILLEGAL_TRANSITION', `cannot move a case from ${from} to ${to}: ${why}`, {
    details: [{ path: 'to', message: why, hint: `from ${from}: ${allowedTransitions(from).join(', ')}` }],
  });

/** Statuses reachable from `from` in one step. */
export const allowedTransitions = (from: CaseStatus): readonly CaseStatus[] => FORWARD[from];

export const isCaseStatus = (value: string): value is CaseStatus => value in CaseStatus;

/**
 * Checks a status change against the lifecycle. Closing needs a resolution that fits the phase; a
 * resolution on any other move is refused so nothing is recorded that did not happen.
 */
export function planTransition(
  from: CaseStatus,
  to: CaseStatus,
  resolution?: CaseResolution | null,
): TransitionPlan {
  if (from === to) throw illegal(from, to, `the case is already ${to}`);
  if (!FORWARD[from].includes(to)) throw illegal(from, to, 'not a step of the incident lifecycle');
  if (to === 'closed') {
    const fits = CLOSURES[from] ?? [];
    if (!resolution) {
      throw new RiposteError(
        'RIPOSTE_UNPROCESSABLE',
        `closing a case needs a resolution (${fits.join(', ')})`,
        {
          details: [{ path: 'resolution', message: 'required when closing' }],
        },
      );
    }
    if (!fits.includes(resolution)) {
      throw illegal(from, to, `a case in ${from} closes as ${fits.join(' or ')}, not ${resolution}`);
    }
    return { from, to, resolution, reopened: false };
  }
  if (resolution) {
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', `a resolution is only given when closing, not on ${to}`, {
      details: [{ path: 'resolution', message: 'only allowed when closing' }],
    });
  }
  return { from, to, resolution: null, reopened: from === 'closed' };
}

/** A merge closes the merged case as a duplicate from wherever it stands (but not twice). */
export function planMergeClosure(from: CaseStatus): TransitionPlan {
  if (from === 'closed') throw illegal(from, 'closed', 'a closed case cannot be merged; reopen it first');
  return { from, to: 'closed', resolution: 'duplicate', reopened: false };
}

/** True once the case has left `new`: someone has acknowledged it. */
export const isAcknowledgedStatus = (s: CaseStatus): boolean => s !== 'new';

/** Phases at or past containment. */
export const isContainedStatus = (s: CaseStatus): boolean =>
  s === 'containment' || s === 'eradication' || s === 'recovery';
