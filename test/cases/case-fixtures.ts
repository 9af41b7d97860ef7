import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { CaseCommandDeps } from '../../src/app/cases/case-commands.js';
import type { Case } from '../../src/domain/cases/case.js';
import type { Actor } from '../../src/domain/shared/actor.js';
import { RiposteError } from '../../src/domain/shared/errors.js';
import type { Severity } from '../../src/domain/shared/severity.js';
import type { ObservableType } from '../../src/domain/observables/observable.js';
import { countStoredAlerts } from '../../src/store/alerts/alert-daily-counts.repository.js';
import {
  insertAlert as storeAlert,
  linkAlertObservables,
  type NewAlertRow,
} from '../../src/store/alerts/alert.repository.js';
import { upsertObservables } from '../../src/store/alerts/observable.repository.js';
import type { Database } from '../../src/store/schema.js';
import { addCaseObservables, createCase } from '../../src/store/cases/case.repository.js';
import type { Store } from '../../src/store/store.js';
import { createUuidV7Generator } from '../../src/domain/shared/ids.js';

/** Time-ordered ids, as in production: timelines and pages sort by id. */
export const newTestId = createUuidV7Generator(
  () => Date.now(),
  (n) => randomBytes(n),
);

export const ANALYST: Actor = { type: 'user', id: 'u-ana', name: 'Ana' };

export const depsOf = (store: Store): CaseCommandDeps => ({ newId: newTestId, dialect: store.dialect });

/** The error a promise rejects with (a test fails when it resolves instead). */
export async function failure(promise: Promise<unknown>): Promise<RiposteError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RiposteError) return err;
    throw err;
  }
  throw new Error('expected a RiposteError, but it succeeded');
}

/** Runs a body in one store transaction, as routes and workers do. */
export const inTransaction = <T>(
  store: Store,
  body: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> => store.db.transaction().execute(body);

export async function openCase(
  store: Store,
  input: { title?: string; severity?: Severity; tags?: string[]; assignee?: string },
  now: number,
): Promise<Case> {
  return store.db.transaction().execute((trx) =>
    createCase(
      trx,
      { newId: newTestId },
      {
        title: input.title ?? 'Suspicious login',
        severity: input.severity ?? 'high',
        tags: input.tags,
        assignee: input.assignee,
        actor: ANALYST,
      },
      now,
    ),
  );
}

/** An observable row (through the ingest capability's upsert) and its link to a case. */
export async function attachObservable(
  store: Store,
  caseId: string,
  observable: { type: ObservableType; value: string },
  now: number,
): Promise<string> {
  const ids = await upsertObservables(store.db, { newId: newTestId }, [observable], now);
  const id = ids.get(`${observable.type}:${observable.value}`) as string;
  await addCaseObservables(store.db, caseId, [id], 'alert', now);
  return id;
}

/** An alert stored through the ingest capability's repository, optionally in a case and with observables. */
export async function insertAlert(
  store: Store,
  input: { caseId: string | null; source?: string; ruleId?: string; time: number; observableIds?: string[] },
): Promise<string> {
  const id = newTestId();
  const row: NewAlertRow = {
    id,
    source: input.source ?? 'suricata',
    mapper: 'suricata',
    fingerprint: id,
    caseId: input.caseId,
    correlation: null,
    now: input.time,
    alert: {
      classUid: 2004,
      time: input.time,
      title: 'ET SCAN',
      description: null,
      severity: 'high',
      severityOriginal: '1',
      category: null,
      origin: { product: 'suricata', vendor: 'OISF', ruleId: input.ruleId ?? '2001', ruleName: 'ET SCAN' },
      sourceEventId: null,
      techniques: [],
      observables: [],
      raw: {},
    },
  };
  // As ingest stores it: the row and its daily counts.
  await storeAlert(store.db, row);
  await countStoredAlerts(store.db, [row]);
  await linkAlertObservables(
    store.db,
    id,
    (input.observableIds ?? []).map((observableId) => ({ observableId, role: 'related' })),
  );
  return id;
}
