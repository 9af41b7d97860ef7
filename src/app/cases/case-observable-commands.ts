import type { Transaction } from 'kysely';
import type { CaseEvent } from '../../domain/cases/case.js';
import { normalizeObservable } from '../../domain/observables/normalize-observable.js';
import {
  ObservableType as ObservableTypes,
  type ObservableType,
} from '../../domain/observables/observable.js';
import type { Actor } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import {
  findObservableTags,
  recordObservableVerdict,
  replaceObservableTags,
  upsertObservables,
} from '../../store/alerts/observable.repository.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import { addCaseObservables } from '../../store/cases/case.repository.js';
import type { Database } from '../../store/schema.js';
import { loadCaseForChange, recordCaseChange, type CaseCommandDeps } from './case-command-support.js';

const isObservableType = (value: string): value is ObservableType =>
  (ObservableTypes as readonly string[]).includes(value);

export const Verdict = ['malicious', 'suspicious', 'benign', 'unknown'] as const;
export type Verdict = (typeof Verdict)[number];

/**
 * Gives an observable a verdict and says who gave it (a person, a TI feed, a playbook). The value is checked
 * against its type; the observable (created when new) gets the verdict, every verdict goes to the history, and
 * with a case the verdict goes on that case's timeline and the observable is attached to it.
 */
export async function setObservableVerdict(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: {
    caseId?: string;
    /** `type` is checked here too, so callers with untyped input (playbooks) get the same clear 422. */
    observable: { type: ObservableType | string; value: string };
    verdict: Verdict;
    source: string;
    actor: Actor;
  },
  now: number,
): Promise<{ observableId: string; event: CaseEvent | null }> {
  const normal = checkedObservable(input.observable);
  if (!(Verdict as readonly string[]).includes(input.verdict)) {
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', `${JSON.stringify(input.verdict)} is not a verdict`, {
      details: [{ path: 'verdict', message: `one of ${Verdict.join(', ')}` }],
    });
  }
  if (input.caseId) await loadCaseForChange(trx, deps, input.caseId);
  const observableId = await observableIdOf(trx, deps, normal, now);
  await recordObservableVerdict(
    trx,
    deps,
    {
      observableId,
      type: normal.type,
      value: normal.value,
      verdict: input.verdict,
      source: input.source,
      caseId: input.caseId ?? null,
      actorId: input.actor.id,
    },
    now,
  );
  const data = { type: normal.type, value: normal.value, verdict: input.verdict, source: input.source };
  if (!input.caseId) {
    await appendAuditOnly(trx, deps, input.actor, data, now);
    return { observableId, event: null };
  }
  await addCaseObservables(trx, input.caseId, [observableId], 'manual', now);
  const event = await recordCaseChange(
    trx,
    deps,
    {
      caseId: input.caseId,
      type: 'observable_verdict_set',
      actor: input.actor,
      data,
      action: 'observable.verdict_set',
    },
    now,
  );
  return { observableId, event };
}

/**
 * An observable as the domain normalises it, or a 422 naming the field: the type must be one we know and the
 * value must be one of that type (`abc` is no sha256). Callers with untyped input (playbooks) get the same.
 */
function checkedObservable(observable: { type: ObservableType | string; value: string }): {
  type: ObservableType;
  value: string;
} {
  const { type } = observable;
  if (!isObservableType(type)) {
    throw new RiposteError('RIPOSTE_UNPROCESSABLE', `${JSON.stringify(type)} is not an observable type`, {
      details: [{ path: 'observable.type', message: `one of ${ObservableTypes.join(', ')}` }],
    });
  }
  const normal = normalizeObservable(type, observable.value);
  if (!normal || normal.type !== type) {
    throw new RiposteError(
      'RIPOSTE_UNPROCESSABLE',
      `${JSON.stringify(observable.value)} is not a valid ${type}`,
      {
        details: [{ path: 'observable.value', message: `not a ${type}` }],
      },
    );
  }
  return { type: normal.type, value: normal.value };
}

/** The observable's row id; upserting gives a hand-flagged observable a row, so it can be sighted later. */
async function observableIdOf(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  normal: { type: ObservableType; value: string },
  now: number,
): Promise<string> {
  const ids = await upsertObservables(trx, deps, [normal], now);
  return ids.get(`${normal.type}:${normal.value}`) as string;
}

/**
 * Replaces an observable's tags (`c2`, `tor-exit`, `vip-mailbox`…) from a case: the observable is attached
 * to the case and the change, old and new tags, goes on the case's timeline. Tags belong to the observable,
 * so every case that holds it shows them.
 */
export async function setObservableTags(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  input: {
    caseId: string;
    observable: { type: ObservableType | string; value: string };
    tags: readonly string[];
    actor: Actor;
  },
  now: number,
): Promise<{ observableId: string; tags: string[]; event: CaseEvent | null }> {
  const normal = checkedObservable(input.observable);
  await loadCaseForChange(trx, deps, input.caseId);
  const observableId = await observableIdOf(trx, deps, normal, now);
  const before = await findObservableTags(trx, observableId);
  const tags = [...new Set(input.tags)].sort();
  await addCaseObservables(trx, input.caseId, [observableId], 'manual', now);
  if (JSON.stringify(before) === JSON.stringify(tags)) return { observableId, tags, event: null };
  await replaceObservableTags(trx, observableId, tags);
  const event = await recordCaseChange(
    trx,
    deps,
    {
      caseId: input.caseId,
      type: 'observable_tagged',
      actor: input.actor,
      data: { type: normal.type, value: normal.value, tags: { from: before, to: tags } },
      action: 'observable.tagged',
    },
    now,
  );
  return { observableId, tags, event };
}

async function appendAuditOnly(
  trx: Transaction<Database>,
  deps: CaseCommandDeps,
  actor: Actor,
  data: { type: string; value: string; verdict: string; source: string },
  now: number,
): Promise<void> {
  await appendAudit(
    trx,
    deps,
    {
      actor,
      action: 'observable.verdict_set',
      target: { type: 'observable', id: `${data.type}:${data.value}` },
      details: data,
    },
    now,
  );
}
