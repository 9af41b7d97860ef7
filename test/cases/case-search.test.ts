import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCaseComment, changeCaseStatus, updateCase } from '../../src/app/cases/case-commands.js';
import type { Severity } from '../../src/domain/shared/severity.js';
import { listCases, type CaseFilters } from '../../src/store/cases/case-query.repository.js';
import { rebuildCaseSearch } from '../../src/store/cases/case-search.repository.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';
import { ANALYST, depsOf, inTransaction, openCase } from './case-fixtures.js';

const T0 = Date.UTC(2026, 5, 1);

describe.each(DIALECTS)('case text search on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeAll(async () => {
    handle = await openTestStore(dialect);
  });
  afterAll(async () => handle.cleanup());

  const search = async (text: string): Promise<string[]> =>
    (await listCases(handle.store.db, { text }, { limit: 50 }, handle.store.dialect)).items.map(
      (c) => c.title,
    );

  it('finds cases by words and word prefixes in title, description and comments, kept in step', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const a = await openCase(store, { title: 'Ransomware on HR-LAPTOP-7' }, T0);
    const b = await openCase(store, { title: 'Beaconing from host-12' }, T0 + 1);
    await openCase(store, { title: 'Beaconing from host-120' }, T0 + 2);
    expect(await search('hr-laptop')).toEqual(['Ransomware on HR-LAPTOP-7']);
    expect(await search('RANSOM')).toEqual(['Ransomware on HR-LAPTOP-7']);
    // A term is a phrase: "host 12" with 12 as a prefix, so host-120 matches too, but not "12 host".
    expect(await search('host-12')).toEqual(['Beaconing from host-120', 'Beaconing from host-12']);
    expect(await search('beaconing laptop')).toEqual([]);
    expect(await search('%_')).toEqual([]);

    await inTransaction(store, (trx) =>
      addCaseComment(
        trx,
        deps,
        { caseId: b.id, body: 'Seen talking to **c2.evil.example** over TLS', actor: ANALYST },
        T0 + 3,
      ),
    );
    expect(await search('evil.example')).toEqual(['Beaconing from host-12']);
    await inTransaction(store, (trx) =>
      updateCase(
        trx,
        deps,
        {
          caseId: a.id,
          patch: { title: 'Encrypted share', description: 'Finance file server' },
          actor: ANALYST,
        },
        T0 + 4,
      ),
    );
    expect(await search('ransomware')).toEqual([]);
    expect(await search('finance serv')).toEqual(['Encrypted share']);

    // A rebuild from the cases and their comments gives the same index.
    const before = await store.db.selectFrom('case_search').selectAll().orderBy('case_id').execute();
    await store.db.deleteFrom('case_search').execute();
    expect(await search('finance')).toEqual([]);
    await rebuildCaseSearch(store.db);
    expect(await store.db.selectFrom('case_search').selectAll().orderBy('case_id').execute()).toEqual(before);
    expect(await search('evil')).toEqual(['Beaconing from host-12']);
  });

  it('pages a tag combined with every other filter exactly as the filters define it', async () => {
    const { store } = handle;
    const deps = depsOf(store);
    const severities: Severity[] = ['low', 'high', 'critical'];
    const all: Array<{
      id: string;
      tag: string;
      severity: Severity;
      triage: boolean;
      assignee: string;
      title: string;
    }> = [];
    for (let i = 0; i < 36; i += 1) {
      const input = {
        title: i % 4 === 0 ? `Beacon ${i}` : `Phish ${i}`,
        severity: severities[i % 3] as Severity,
        tags: [i % 2 === 0 ? 'even' : 'odd'],
        assignee: i % 5 === 0 ? 'ana' : 'bo',
      };
      const kase = await openCase(store, input, T0 + 100 + i);
      const triage = i % 3 !== 1;
      if (triage) {
        await inTransaction(store, (trx) =>
          changeCaseStatus(trx, deps, { caseId: kase.id, to: 'triage', actor: ANALYST }, T0 + 200 + i),
        );
      }
      all.push({
        id: kase.id,
        tag: input.tags[0] as string,
        severity: input.severity,
        triage,
        assignee: input.assignee,
        title: input.title,
      });
    }
    const pageThrough = async (filters: CaseFilters): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await listCases(store.db, filters, { limit: 2, cursor }, store.dialect);
        ids.push(...page.items.map((c) => c.id));
        if (!page.nextCursor) return ids;
        cursor = page.nextCursor;
      }
    };
    const newestFirst = (pick: (c: (typeof all)[number]) => boolean) =>
      all
        .filter(pick)
        .map((c) => c.id)
        .sort()
        .reverse();
    const combos: Array<[CaseFilters, (c: (typeof all)[number]) => boolean]> = [
      [{ tag: 'even' }, (c) => c.tag === 'even'],
      [{ tag: 'even', severity: ['high'] }, (c) => c.tag === 'even' && c.severity === 'high'],
      [
        { tag: 'odd', status: ['triage'], assignee: 'ana' },
        (c) => c.tag === 'odd' && c.triage && c.assignee === 'ana',
      ],
      [
        { tag: 'even', severity: ['low', 'critical'], status: ['new'] },
        (c) => c.tag === 'even' && c.severity !== 'high' && !c.triage,
      ],
      [{ tag: 'even', text: 'beacon' }, (c) => c.tag === 'even' && c.title.startsWith('Beacon')],
      [{ tag: 'odd', text: 'beacon' }, () => false],
      [{ tag: 'none', severity: ['high'] }, () => false],
    ];
    for (const [filters, pick] of combos) {
      expect(await pageThrough(filters), JSON.stringify(filters)).toEqual(newestFirst(pick));
    }
    expect(newestFirst((c) => c.tag === 'odd' && c.triage && c.assignee === 'ana').length).toBeGreaterThan(2);
  });
});
